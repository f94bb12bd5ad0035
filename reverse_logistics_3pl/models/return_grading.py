from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .return_client_fee import DISPOSED_OPERATIONS


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # A brand's portal user reads the gradings of its goods: the 3PL's own figures and notes stay the staff's.
    processing_cost = fields.Monetary(groups="base.group_user")
    recovery_value = fields.Monetary(groups="base.group_user")
    net_recovery = fields.Monetary(groups="base.group_user")
    note = fields.Text(groups="base.group_user")
    disposition_note = fields.Text(groups="base.group_user")
    disposition_rule_id = fields.Many2one(groups="base.group_user")
    vendor_credit_note_id = fields.Many2one(groups="base.group_user")
    liquidation_line_id = fields.Many2one(groups="base.group_user")
    disposition_queued_uid = fields.Many2one(groups="base.group_user")
    disposition_error = fields.Text(groups="base.group_user")

    @api.model_create_multi
    def create(self, vals_list):
        gradings = super().create(vals_list)
        # Charged per unit graded; a regrade of the same units is not charged again.
        self.env["return.client.fee.event"]._record_many([
            ("graded", grading.order_id, grading.quantity, grading)
            for grading in gradings.filtered(lambda g: not g.previous_grading_id)])
        return gradings

    def _mark_dispositioned(self, done):
        res = super()._mark_dispositioned(done)
        events = self.env["return.client.fee.event"]
        work = []
        for grading in self:
            work.append(("disposal", grading.order_id, grading.quantity, grading))
            if grading.operation == "refurbish":
                work.append(("refurbish", grading.order_id, grading.quantity, grading))
            elif grading.operation in DISPOSED_OPERATIONS:
                work.append(("disposed", grading.order_id, grading.quantity, grading))
            # The units leave triage with their disposition: their days there are known now.
            work.append(events._get_triage_days_work(grading, grading.date_dispositioned))
        events._record_many(work)
        return res

    def _get_triage_entry_date(self):
        """When these units entered triage: the line's last receipt done by then (a unit of a backorder
        came with it; the last one never charges a unit for days it was not here)."""
        self.ensure_one()
        dates = [move.date for move in self.line_id.sudo().move_ids
                 if move.state == "done" and move.location_dest_id.usage == "internal"
                 and move.date and move.date <= self.date_graded]
        return max(dates) if dates else False

    def _get_goods_owner(self):
        """Who owns these units: the client of the return, or nobody (the company)."""
        self.ensure_one()
        return self.order_id._get_goods_owner()

    # ------------------------------------------------------------------
    # Disposition: every move of a client's units names the client as owner
    # ------------------------------------------------------------------
    def _prepare_disposal(self):
        res = super()._prepare_disposal()
        self._check_client_availability()
        return res

    def _check_client_availability(self):
        """Triage must hold the client's own units: the core check counts every owner's, and a client's
        units are never made of the company's (nor of another client's)."""
        needed = defaultdict(float)
        for grading in self:
            owner = grading._get_goods_owner()
            if owner:
                needed[grading.product_id, grading.lot_id, grading._get_triage_location(), owner] += grading.quantity
        shortages = []
        for (product, lot, location, owner), qty in needed.items():
            domain = [("product_id", "=", product.id), ("location_id", "=", location.id),
                      ("owner_id", "=", owner.id)]
            if lot:
                domain.append(("lot_id", "=", lot.id))
            quants = self.env["stock.quant"].sudo().search(domain)
            free = sum(quants.mapped("quantity")) - sum(quants.mapped("reserved_quantity"))
            if float_compare(free, qty, precision_rounding=product.uom_id.rounding) < 0:
                # Named before the call: Odoo's term extraction cannot read an f-string among the arguments.
                unit = f"{product.display_name} ({lot.name})" if lot else product.display_name
                shortages.append(self.env._(
                    "- %(product)s of %(owner)s: %(qty)s to move, %(available)s of theirs in %(location)s",
                    product=unit, owner=owner.display_name, qty=qty, available=free,
                    location=location.display_name))
        if shortages:
            raise UserError(self.env._(
                "Nothing was moved: triage does not hold the clients' units to disposition.\n%(lines)s",
                lines="\n".join(shortages)))

    def _prepare_disposition_move_vals(self, source, destination, picked=True, product=None, lot=None):
        vals = super()._prepare_disposition_move_vals(source, destination, picked=picked, product=product, lot=lot)
        owner = self._get_goods_owner()
        if owner:
            vals["restrict_partner_id"] = owner.id
            for command in vals.get("move_line_ids", []):
                if command[0] == Command.CREATE:
                    command[2]["owner_id"] = owner.id
        return vals

    def _get_disposition_picking_key(self, stage="dispose"):
        key = super()._get_disposition_picking_key(stage=stage)
        owner = self._get_goods_owner()
        if owner and stage == "dispose" and self.operation == "return_to_vendor":
            # Sent back to the brand that owns them, not to the product's vendor.
            warehouse = self.warehouse_id
            key = (warehouse.out_type_id, self._get_triage_location(), owner.property_stock_customer, owner)
        # One owner per picking: Odoo gives the picking's owner to all its move lines.
        return (*key, owner)

    def _prepare_disposition_picking_vals(self, key, picked=True):
        vals = super()._prepare_disposition_picking_vals(key, picked=picked)
        owner = key[4] if len(key) > 4 else self.env["res.partner"]
        if owner:
            vals["owner_id"] = owner.id
        return vals

    def _prepare_scrap_vals(self):
        vals = super()._prepare_scrap_vals()
        owner = self._get_goods_owner()
        if owner:
            # stock.scrap takes the owner's quants and, for an owner other than the company, values nothing.
            vals["owner_id"] = owner.id
        return vals

    def _prepare_repair_vals(self):
        vals = super()._prepare_repair_vals()
        owner = self._get_goods_owner()
        if owner:
            # Odoo's repair moves the unit with its customer as owner when he owns it there: the brand.
            vals["partner_id"] = owner.id
        return vals

    def _dispose_return_to_vendor(self):
        to_client = self.filtered(lambda g: g._get_goods_owner())
        res = None
        if self - to_client:
            res = super(ReturnGrading, self - to_client)._dispose_return_to_vendor()
        if to_client:
            to_client._dispose_return_to_client()
        return res

    def _dispose_return_to_client(self):
        """A client's units "returned to vendor" go back to the brand that owns them: shipped at once from
        triage to the brand, with no vendor credit note (the goods were never bought here)."""
        self._create_disposition_pickings()
        self._mark_dispositioned(done=True)

    def _compute_recovery_value(self):
        if self.operation == "return_to_vendor" and self._get_goods_owner():
            # Nothing comes back to this company for the brand's own goods.
            return 0.0
        return super()._compute_recovery_value()
