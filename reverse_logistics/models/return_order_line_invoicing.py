from odoo import api, fields, models
from odoo.tools import float_is_zero, float_round


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    @api.depends("refund_line_ids.quantity", "refund_line_ids.parent_state", "refund_line_ids.is_restocking_fee")
    def _compute_qty_refunded(self):
        for line in self:
            line.qty_refunded = sum(
                aml.quantity for aml in line.refund_line_ids
                if aml.parent_state != "cancel" and not aml.is_restocking_fee
            )

    @api.depends("sale_line_id", "order_id.invoice_id")
    def _compute_invoice_line_id(self):
        for line in self:
            if line.invoice_line_id or not line.sale_line_id:
                continue
            invoice_lines = line.sale_line_id.invoice_lines.filtered(
                lambda aml: aml.move_id.move_type == "out_invoice" and aml.parent_state == "posted"
            )
            invoice = line.order_id.invoice_id
            if invoice:
                invoice_lines = invoice_lines.filtered(lambda aml, invoice=invoice: aml.move_id == invoice)
            line.invoice_line_id = invoice_lines[-1:]

    @api.depends("invoice_line_id", "sale_line_id", "product_id")
    def _compute_price(self):
        for line in self:
            source = line.invoice_line_id or line.sale_line_id
            if source:
                line.price_unit = source.price_unit
                line.discount = source.discount
                line.tax_ids = source.tax_ids if line.invoice_line_id else source.tax_id
            elif line.product_id and not line.price_unit:
                line.price_unit = line.product_id.lst_price
                line.tax_ids = line.product_id.taxes_id._filter_taxes_by_company(line.order_id.company_id)

    @api.depends("product_uom_qty", "price_unit", "discount", "restocking_fee_percent")
    def _compute_amounts(self):
        for line in self:
            subtotal = line.product_uom_qty * line.price_unit * (1 - (line.discount or 0.0) / 100.0)
            line.price_subtotal = subtotal
            line.restocking_fee_amount = subtotal * line.restocking_fee_percent / 100.0

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def _get_quantities_to_resolve(self, done_field, base_field=None):
        """[(line, qty)] still owed to the customer: base quantity minus what was already resolved."""
        result = []
        for line in self:
            base = line[base_field or line.order_id._get_resolution_base_field()]
            qty = float_round(base - line[done_field], precision_rounding=line.product_uom_id.rounding)
            if not float_is_zero(qty, precision_rounding=line.product_uom_id.rounding) and qty > 0:
                result.append((line, qty))
        return result

    def _get_income_account(self, fiscal_position):
        self.ensure_one()
        if self.invoice_line_id:
            return self.invoice_line_id.account_id
        accounts = self.product_id.product_tmpl_id.with_company(self.company_id).get_product_accounts(
            fiscal_pos=fiscal_position)
        return accounts["income"]

    def _get_credit_note_taxes(self, fiscal_position):
        self.ensure_one()
        if self.invoice_line_id:
            return self.invoice_line_id.tax_ids
        return fiscal_position.map_tax(self.tax_ids)

    def _prepare_credit_note_line_vals(self, qty, fiscal_position):
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "name": self.invoice_line_id.name or self.sale_line_id.name or self.product_id.display_name,
            "quantity": qty,
            "product_uom_id": self.product_uom_id.id,
            "price_unit": self.price_unit,
            "discount": self.discount,
            "tax_ids": [fields.Command.set(self._get_credit_note_taxes(fiscal_position).ids)],
            "account_id": self._get_income_account(fiscal_position).id,
            "sale_line_ids": [fields.Command.set(self.sale_line_id.ids)],
            "analytic_distribution": self.invoice_line_id.analytic_distribution,
            "return_line_id": self.id,
        }

    def _prepare_restocking_fee_line_vals(self, qty, fiscal_position):
        """A negative line on the credit note: the customer gets back the price minus the fee."""
        self.ensure_one()
        if not self.restocking_fee_percent:
            return {}
        fee_product = self.env.ref("reverse_logistics.product_restocking_fee")
        net_unit = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        fee_accounts = fee_product.product_tmpl_id.with_company(self.company_id).get_product_accounts(
            fiscal_pos=fiscal_position)
        return {
            "product_id": fee_product.id,
            "name": self.env._(
                "Restocking fee %(percent)s%% on %(product)s",
                percent=round(self.restocking_fee_percent, 2), product=self.product_id.display_name,
            ),
            "quantity": qty,
            "product_uom_id": fee_product.uom_id.id,
            "price_unit": -net_unit * self.restocking_fee_percent / 100.0,
            "tax_ids": [fields.Command.set(self._get_credit_note_taxes(fiscal_position).ids)],
            "account_id": (fee_accounts["income"] or self._get_income_account(fiscal_position)).id,
            "return_line_id": self.id,
            "is_restocking_fee": True,
        }

    def _prepare_exchange_line_vals(self, qty):
        self.ensure_one()
        product = self.exchange_product_id or self.product_id
        vals = {
            "product_id": product.id,
            "product_uom_qty": qty,
            "return_line_id": self.id,
        }
        if product == self.product_id:
            vals["price_unit"] = 0.0
        else:
            # Customer pays only the difference; never a negative price on a sale line.
            net_returned = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
            vals["price_unit"] = max(product.lst_price - net_returned, 0.0)
        return vals
