from odoo import fields, models
from odoo.exceptions import UserError


class ReturnBlindParcelReceive(models.TransientModel):
    """The clerk's form for a parcel that came unannounced: the brand from the label, what the parcel
    holds, the brand's order reference if the slip has one. Received through `action_receive_blind_parcel`."""

    _name = "return.blind.parcel.receive"
    _description = "Receive a Blind Parcel"

    client_id = fields.Many2one("res.partner", string="Client (Brand)", required=True,
                                domain="[('is_company', '=', True)]")
    client_ref = fields.Char(string="Brand's Order Reference", help="When the packing slip shows it.")
    note = fields.Text()
    line_ids = fields.One2many("return.blind.parcel.receive.line", "wizard_id", string="Contents")

    def action_receive(self):
        self.ensure_one()
        if not self.line_ids:
            raise UserError(self.env._("Say what the parcel holds: at least one product."))
        result = self.env["return.order"].action_receive_blind_parcel({
            "client_id": self.client_id.id, "client_ref": self.client_ref or False,
            "note": self.note or None, "lines": [line._prepare_parcel_line() for line in self.line_ids],
        })
        return {"type": "ir.actions.act_window", "res_model": "return.order", "res_id": result["id"],
                "view_mode": "form", "views": [(False, "form")]}


class ReturnBlindParcelReceiveLine(models.TransientModel):
    _name = "return.blind.parcel.receive.line"
    _description = "Blind Parcel Content"

    wizard_id = fields.Many2one("return.blind.parcel.receive", required=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, domain="[('type', '=', 'consu')]")
    qty = fields.Float(string="Quantity", digits="Product Unit of Measure", default=1.0, required=True)
    lot_name = fields.Char(string="Lot/Serial Number")

    def _prepare_parcel_line(self):
        """The RPC's line: the product by the code the brand's labels carry."""
        self.ensure_one()
        code = self.product_id.default_code or self.product_id.barcode
        if not code:
            raise UserError(self.env._("%(product)s has no internal reference or barcode to receive it by.",
                                       product=self.product_id.display_name))
        line = {"product": code, "qty": self.qty}
        if self.lot_name:
            line["lot"] = self.lot_name
        return line
