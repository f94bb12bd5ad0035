from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # ------------------------------------------------------------------
    # Refurbishment: a repair order, then the units come back as the refurbished product
    # ------------------------------------------------------------------
    def _dispose_refurbish(self):
        not_repairable = self.filtered(lambda g: not g.product_id.is_storable or not g.product_id.can_be_refurbished)
        if not_repairable:
            raise UserError(self.env._(
                "These products cannot be refurbished:\n%(lines)s",
                lines="\n".join(f"- {g.product_id.display_name}" for g in not_repairable),
            ))
        for grading in self:
            if not grading.warehouse_id.repair_type_id:
                raise UserError(self.env._(
                    "Warehouse %(warehouse)s has no repair operation type.", warehouse=grading.warehouse_id.name))
            grading._check_refurbished_product()
        repairs = self.env["repair.order"].create([g._prepare_repair_vals() for g in self])
        for grading, repair in zip(self, repairs, strict=True):
            grading.sudo().repair_id = repair
        repairs._action_repair_confirm()
        self._mark_dispositioned(done=False)

    def _prepare_repair_vals(self):
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "product_qty": self.quantity,
            "product_uom": self.product_uom_id.id,
            "lot_id": self.lot_id.id,
            "picking_type_id": self.warehouse_id.repair_type_id.id,
            "product_location_src_id": self._get_triage_location().id,
            "product_location_dest_id": self._get_destination().id,
            "company_id": self.company_id.id,
            "internal_notes": self.note,
            "repair_request": self.env._("Refurbish returned unit from %(order)s", order=self.order_id.name),
        }

    def _check_refurbished_product(self):
        """Refuse, before any repair starts, units that could not become their refurbished product."""
        self.ensure_one()
        refurbished = self.product_id.refurbished_product_id
        if not refurbished:
            return
        problem = False
        if refurbished.uom_id.category_id != self.product_uom_id.category_id:
            problem = self.env._("its unit of measure is not of the same kind")
        elif refurbished.tracking != "none" and not self.lot_id:
            problem = self.env._("it is tracked and these units have no lot or serial number")
        elif refurbished.tracking == "serial" and float_compare(
                self.quantity, 1.0, precision_rounding=self.product_uom_id.rounding) != 0:
            problem = self.env._("it is tracked by serial number and these are several units")
        if problem:
            raise UserError(self.env._(
                "%(units)s cannot go back to stock as %(refurbished)s: %(problem)s.",
                units=self.name, refurbished=refurbished.display_name, problem=problem))

    def _on_repair_done(self):
        done = self.filtered(lambda g: g.state == "dispositioned")
        done.filtered(lambda g: g.product_id.refurbished_product_id)._convert_to_refurbished_product()
        done.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        self.line_id.order_id._on_dispositioned()

    def _get_refurbished_lot(self, product):
        """The lot of the refurbished product keeps the returned unit's lot or serial number."""
        self.ensure_one()
        if product.tracking == "none" or not self.lot_id:
            return self.env["stock.lot"]
        lot = self.env["stock.lot"].search([
            ("product_id", "=", product.id), ("name", "=", self.lot_id.name),
            ("company_id", "in", [self.company_id.id, False]),
        ], limit=1)
        return lot or lot.create({"name": self.lot_id.name, "product_id": product.id, "company_id": self.company_id.id})

    def _convert_to_refurbished_product(self):
        """Take the repaired units out of stock as the returned product and bring them back as its
        refurbished product, at that product's own cost. Both moves pass through the production
        location, where Odoo's repairs consume their parts too."""
        outgoing_vals, incoming_vals = [], []
        for grading in self:
            grading._check_refurbished_product()
            refurbished = grading.product_id.refurbished_product_id
            stock = grading.repair_id.product_location_dest_id or grading._get_destination()
            production = grading.product_id.with_company(grading.company_id).property_stock_production
            outgoing_vals.append(dict(
                grading._prepare_disposition_move_vals(stock, production), refurbish_conversion=True))
            incoming_vals.append(dict(
                grading._prepare_disposition_move_vals(
                    production, stock, product=refurbished, lot=grading._get_refurbished_lot(refurbished)),
                refurbish_conversion=True, price_unit=refurbished.with_company(grading.company_id).standard_price,
            ))
            grading.sudo().refurbished_product_id = refurbished
        # The returned units leave first, so the refurbished ones never share their quant.
        self.env["stock.move"].create(outgoing_vals)._action_done()
        self.env["stock.move"].create(incoming_vals)._action_done()
