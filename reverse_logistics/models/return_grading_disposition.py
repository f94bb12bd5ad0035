from collections import defaultdict

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero
from odoo.tools.misc import clean_context


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def action_dispose(self):
        """Execute the dispositions of these units in batch: all of them move, or none."""
        self._check_flow_access("reverse_logistics.group_return_user")
        return self._action_dispose()

    def _action_dispose(self):
        if not self:
            return True
        # Pickings, scraps, repairs and vendor credit notes take no default from the caller's context.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        self._prepare_disposal()
        by_operation = defaultdict(lambda: self.browse())
        for grading in self:
            by_operation[grading.operation] |= grading
        for operation, gradings in by_operation.items():
            getattr(gradings, f"_dispose_{operation}")()
        self._record_disposition_values()
        self.line_id.order_id._on_dispositioned()
        return True

    def _prepare_disposal(self):
        """Refuse units already dispositioned, decide the undecided ones and check that triage holds
        them all: before anything moves, whether in this request or in the background."""
        already = self.filtered(lambda g: g.state != "graded")
        if already:
            raise UserError(self.env._(
                "These units were already dispositioned:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in already),
            ))
        self.filtered(lambda g: not g.disposition_id)._action_decide()
        self._check_triage_availability()

    def _get_triage_location(self):
        """Where the graded units wait: where the return received them."""
        self.ensure_one()
        return self.order_id._get_receipt_location()

    # Move lines that hold a reservation, as Odoo's stock.quant._clean_reservations counts them.
    _RESERVING_MOVE_LINE_STATES = ("assigned", "partially_available", "waiting", "confirmed")
    # How quants and their reservations are keyed.
    _QUANT_KEYS = ["product_id", "location_id", "lot_id", "package_id", "owner_id"]

    def _check_triage_availability(self):
        """Refuse the whole batch when triage holds fewer free units than it must move.

        Free units are those on hand less what open move lines hold. Reservations the quants keep for
        no move line are released first (`_release_stale_reservations`), so that neither this check nor
        the reservations of the disposition transfers (return to vendor) are refused by them."""
        needed = defaultdict(float)
        locations = self.env["stock.location"]
        for grading in self:
            location = grading._get_triage_location()
            locations |= location
            needed[grading.product_id, grading.lot_id, location] += grading.quantity
        domain = [("product_id", "in", self.product_id.ids), ("location_id", "in", locations.ids)]
        # What open move lines hold, read once for the release and for the free units.
        held = {tuple(row[:5]): row[5] for row in self.env["stock.move.line"].sudo()._read_group(
            domain + [("state", "in", self._RESERVING_MOVE_LINE_STATES), ("quantity_product_uom", "!=", 0)],
            self._QUANT_KEYS, ["quantity_product_uom:sum"])}
        self._release_stale_reservations(domain, held)
        on_hand = self.env["stock.quant"]._read_group(
            domain, ["product_id", "location_id", "lot_id"], ["quantity:sum"])
        free = defaultdict(float)
        for rows, sign in ((on_hand, 1.0), ([(*key[:3], qty) for key, qty in held.items()], -1.0)):
            for product, location, lot, quantity in rows:
                free[product, lot, location] += sign * quantity
                if lot:  # a grading without lot may take any lot
                    free[product, lot.browse(), location] += sign * quantity
        shortages = []
        for (product, lot, location), qty in needed.items():
            if float_compare(free[product, lot, location], qty, precision_rounding=product.uom_id.rounding) < 0:
                label = f"{product.display_name} ({lot.name})" if lot else product.display_name
                shortages.append(self.env._(
                    "- %(product)s: %(qty)s to move, %(available)s available in %(location)s",
                    product=label, qty=qty, available=free[product, lot, location],
                    location=location.display_name,
                ))
        if shortages:
            raise UserError(self.env._(
                "Nothing was moved: triage does not hold the units to disposition.\n%(lines)s",
                lines="\n".join(shortages),
            ))

    def _release_stale_reservations(self, domain, held):
        """Release what the quants of `domain` keep reserved beyond what move lines hold (`held`, by
        `_QUANT_KEYS`).

        Under concurrent load Odoo's quants may keep a reservation that no move line holds any more
        (seen with 4 clients in bench/load.py). Odoo's scheduler corrects every quant of the database
        (`stock.quant._clean_reservations`); this does the same, for the quants about to be moved only,
        and only downwards: a reservation is never added here."""
        quants = self.env["stock.quant"].sudo()
        reserved = quants._read_group(domain + [("reserved_quantity", "!=", 0)], self._QUANT_KEYS,
                                      ["reserved_quantity:sum"])
        for product, location, lot, package, owner, quantity in reserved:
            stale = quantity - held.get((product, location, lot, package, owner), 0.0)
            if float_compare(stale, 0.0, precision_rounding=product.uom_id.rounding) > 0:
                quants._update_reserved_quantity(product, location, -stale, lot_id=lot, package_id=package,
                                                 owner_id=owner)

    def _get_destination(self):
        """Where this grading's units go, by operation, unless the disposition names a location."""
        self.ensure_one()
        if self.disposition_id.location_dest_id:
            return self.disposition_id.location_dest_id
        warehouse = self.warehouse_id
        operation = self.operation
        if operation in ("restock", "refurbish"):
            return warehouse.lot_stock_id
        if operation == "repackage":
            return warehouse.repackage_location_id
        if operation == "liquidate":
            return warehouse.liquidation_location_id
        if operation in ("recycle", "dispose"):
            # None named: stock.scrap takes the company's scrap location, for a whole batch in one query.
            return self.env["stock.location"]
        return self.env.ref("stock.stock_location_suppliers")

    def _prepare_disposition_move_vals(self, source, destination, picked=True, product=None, lot=None):
        self.ensure_one()
        product = product or self.product_id
        lot = self.lot_id if lot is None else lot
        return {
            "name": self.name,
            "product_id": product.id,
            "product_uom": self.product_uom_id.id,
            "product_uom_qty": self.quantity,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "company_id": self.company_id.id,
            "origin": self.order_id.name,
            "return_grading_id": self.id,
            "picked": picked,
            "move_line_ids": [Command.create({
                "product_id": product.id,
                "product_uom_id": self.product_uom_id.id,
                "lot_id": lot.id,
                "quantity": self.quantity,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "company_id": self.company_id.id,
                "picked": picked,
            })] if picked else [],
        }

    # ------------------------------------------------------------------
    # Disposition pickings, grouped like stock.move._key_assign_picking groups moves
    # ------------------------------------------------------------------
    def _get_disposition_picking_key(self, stage="dispose"):
        """What this grading's units share with the others of one picking: (operation type, source,
        destination, partner). `stage` is "dispose" when the disposition starts and "repackaged" when
        repacked units go back to stock. Extensions may append to the key (and read it in
        `_prepare_disposition_picking_vals`) to split pickings further."""
        self.ensure_one()
        warehouse = self.warehouse_id
        no_partner = self.env["res.partner"]
        if stage == "repackaged":
            return warehouse.int_type_id, self._get_destination(), warehouse.lot_stock_id, no_partner
        if self.operation == "return_to_vendor":
            vendor = self._get_vendor().partner_id
            return warehouse.out_type_id, self._get_triage_location(), vendor.property_stock_supplier, vendor
        return warehouse.int_type_id, self._get_triage_location(), self._get_destination(), no_partner

    def _prepare_disposition_picking_vals(self, key, picked=True):
        """Values of the picking of these gradings, which share `key`: one move per grading."""
        picking_type, source, destination, partner = key[:4]
        return {
            "picking_type_id": picking_type.id,
            "partner_id": partner.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": ", ".join(sorted(set(self.order_id.mapped("name")))),
            "company_id": self.company_id[:1].id,
            "move_ids": [Command.create(g._prepare_disposition_move_vals(source, destination, picked))
                         for g in self],
        }

    def _create_disposition_pickings(self, stage="dispose", validate=True):
        """One picking per key of `_get_disposition_picking_key`, validated at once unless told otherwise."""
        groups = defaultdict(self.browse)
        for grading in self:
            groups[grading._get_disposition_picking_key(stage)] |= grading
        pickings = self.env["stock.picking"].create([
            gradings._prepare_disposition_picking_vals(key, picked=validate) for key, gradings in groups.items()
        ])
        if validate:
            pickings._action_done()
        return pickings

    def _dispose_internal(self, done=True):
        self._create_disposition_pickings()
        self._mark_dispositioned(done=done)

    def _dispose_restock(self):
        self._dispose_internal()

    def _dispose_liquidate(self):
        self._dispose_internal()

    def _dispose_repackage(self):
        self._dispose_internal(done=False)

    def action_repackaging_done(self):
        """Repacked units leave the repackaging location for stock."""
        self._check_flow_access("reverse_logistics.group_return_user")
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        todo = self.filtered(lambda g: g.operation == "repackage" and g.state == "dispositioned")
        if todo != self:
            raise UserError(self.env._("Only units being repackaged can be finished."))
        todo._create_disposition_pickings(stage="repackaged")
        todo.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        todo.line_id.order_id._on_dispositioned()
        return True

    def _dispose_recycle(self):
        self._dispose_scrap()

    def _dispose_dispose(self):
        self._dispose_scrap()

    def _prepare_scrap_vals(self):
        self.ensure_one()
        vals = {
            "product_id": self.product_id.id,
            "product_uom_id": self.product_uom_id.id,
            "scrap_qty": self.quantity,
            "lot_id": self.lot_id.id,
            "location_id": self._get_triage_location().id,
            "company_id": self.company_id.id,
            "origin": self.order_id.name,
            "return_grading_id": self.id,
            "environmental_outcome": self.environmental_outcome,
            "disposal_weight": self.weight,
        }
        destination = self._get_destination()
        if destination:
            vals["scrap_location_id"] = destination.id
        return vals

    def _dispose_scrap(self):
        # stock.scrap posts the write-off through Odoo's own valuation for automated categories.
        scraps = self.env["stock.scrap"].create([g._prepare_scrap_vals() for g in self])
        scraps.do_scrap()
        self._mark_dispositioned(done=True)

    def _get_vendor(self):
        self.ensure_one()
        sellers = self.product_id.seller_ids.filtered(
            lambda s: not s.company_id or s.company_id == self.company_id)
        return sellers[:1]

    def _dispose_return_to_vendor(self):
        no_vendor = self.filtered(lambda g: not g._get_vendor())
        if no_vendor:
            raise UserError(self.env._(
                "Return to vendor needs a vendor on the product:\n%(lines)s",
                lines="\n".join(f"- {g.product_id.display_name}" for g in no_vendor),
            ))
        pickings = self._create_disposition_pickings(validate=False)
        pickings.action_confirm()
        pickings.action_assign()
        for move in pickings.move_ids.filtered(lambda m: m.return_grading_id.lot_id):
            move.move_line_ids.lot_id = move.return_grading_id.lot_id
        by_vendor = defaultdict(lambda: self.browse())
        for grading in self:
            by_vendor[grading._get_vendor().partner_id] |= grading
        for vendor, gradings in by_vendor.items():
            credit_note = self.env["account.move"].sudo().with_company(gradings.company_id[:1]).create(
                gradings._prepare_vendor_credit_note_vals(vendor))
            gradings.sudo().vendor_credit_note_id = credit_note
        self._mark_dispositioned(done=False)

    def _get_purchase_price(self):
        self.ensure_one()
        seller = self._get_vendor()
        return seller.currency_id._convert(
            seller.price, self.currency_id, self.company_id, fields.Date.context_today(self),
        ) if seller.price else self.product_id.standard_price

    def _prepare_vendor_credit_note_vals(self, vendor):
        return {
            "move_type": "in_refund",
            "partner_id": vendor.id,
            "company_id": self.company_id[:1].id,
            "invoice_origin": ", ".join(sorted(set(self.order_id.mapped("name")))),
            "ref": self.env._("Returned to vendor"),
            "invoice_line_ids": [Command.create({
                "product_id": g.product_id.id,
                "quantity": g.quantity,
                "product_uom_id": g.product_uom_id.id,
                "price_unit": g._get_purchase_price(),
                "name": g.name,
            }) for g in self],
        }

    def _on_disposition_cancelled(self, document):
        """The repair or vendor shipment that was to end these units' disposition was cancelled:
        the units never left triage, so they wait for a disposition again."""
        gradings = self.filtered(lambda g: g.state == "dispositioned")
        if not gradings:
            return
        credit_notes = gradings.vendor_credit_note_id
        credit_notes.filtered(lambda m: m.state == "draft").sudo().button_cancel()
        for order, units in gradings.grouped("order_id").items():
            body = self.env._(
                "%(document)s was cancelled: %(units)s wait for a disposition again.",
                document=document, units=", ".join(units.mapped("name")))
            posted = units.vendor_credit_note_id.filtered(lambda m: m.state == "posted")
            if posted:
                body += " " + self.env._(
                    "Vendor credit note %(moves)s is posted already: reverse it if the vendor takes nothing back.",
                    moves=", ".join(posted.mapped("name")))
            order.message_post(body=body)
        gradings.sudo().write({
            "state": "graded", "date_dispositioned": False, "repair_id": False, "vendor_credit_note_id": False,
            "processing_cost": 0.0, "recovery_value": 0.0, "co2_kg": 0.0, "landfill_weight": 0.0,
        })

    def _on_liquidation_sale_cancelled(self):
        for grading in self.sudo():
            grading.liquidation_line_id = False
            grading.recovery_value = grading._compute_recovery_value()

    def _on_vendor_shipment_done(self):
        self.filtered(lambda g: g.state == "dispositioned").sudo().write({
            "state": "done", "date_done": fields.Datetime.now(),
        })
        self.line_id.order_id._on_dispositioned()

    def _mark_dispositioned(self, done):
        now = fields.Datetime.now()
        vals = {"state": "done" if done else "dispositioned", "date_dispositioned": now}
        if done:
            vals["date_done"] = now
        self.sudo().write(vals)

    def _compute_recovery_value(self):
        """Expected value back: vendor credit at purchase price, else the graded value the channel realizes."""
        self.ensure_one()
        if self.operation == "return_to_vendor":
            return self.quantity * self._get_purchase_price()
        refurbished = self.product_id.refurbished_product_id
        if self.operation == "refurbish" and refurbished:
            # It sells as the refurbished product, at that product's price.
            return self.quantity * refurbished.lst_price * self.disposition_id.recovery_share / 100.0
        return self.quantity * self.unit_value * self.grade_id.recovery_rate / 100.0 \
            * self.disposition_id.recovery_share / 100.0

    def _record_disposition_values(self):
        for grading in self:
            disposition = grading.disposition_id
            vals = {
                "processing_cost": grading.quantity * disposition.processing_cost,
                "co2_kg": grading.weight * disposition.co2_factor,
                "landfill_weight": grading.weight if disposition.environmental_outcome == "landfill" else 0.0,
            }
            if float_is_zero(grading.recovery_value, precision_rounding=grading.currency_id.rounding):
                vals["recovery_value"] = grading._compute_recovery_value()
            grading.sudo().write(vals)
