from collections import defaultdict

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import clean_context


class ReturnOrder(models.Model):
    _inherit = "return.order"

    def action_create_credit_note(self):
        """Credit the customer now: before receipt for the units requested (where the policy resolves on
        receipt, e.g. a trusted customer), after it for the units received."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only users with Billing rights may create credit notes by hand."))
        if not self.browse().has_access("write"):
            raise AccessError(self.env._(
                "Crediting a customer writes on the return: it takes Billing rights and a returns group that "
                "may change returns (Returns User or Manager)."))
        self.check_access("write")
        for order in self:
            if order.resolution not in ("refund", "store_credit"):
                raise UserError(self.env._("%(name)s is not resolved by a credit note.", name=order.name))
            if order.state in ("draft", "rejected", "cancel"):
                raise UserError(self.env._("Approve %(name)s before crediting the customer.", name=order.name))
            order._lock_for_resolution()
            base_field = order._get_manual_credit_base_field()
            if not order.line_ids._get_quantities_to_resolve("qty_refunded", base_field=base_field):
                raise UserError(order._get_nothing_to_credit_message(base_field))
            # Passed down, never through the context: a client may send any context key.
            order._resolve(base_field=base_field)
        return True

    def _get_manual_credit_base_field(self):
        """Units the manual button credits: those requested while goods are still expected."""
        self.ensure_one()
        return "product_uom_qty" if self.state in ("approved", "receiving") else "qty_received"

    def _get_nothing_to_credit_message(self, base_field):
        self.ensure_one()
        if any(line.qty_not_invoiced for line in self.line_ids):
            return self.env._(
                "Nothing to credit on %(name)s: every %(what)s unit already has a credit note or was never "
                "invoiced (those lower what is left to invoice on the sale).",
                name=self.name, what=self.env._("requested") if base_field == "product_uom_qty"
                else self.env._("received"),
            )
        return self.env._(
            "Nothing to credit on %(name)s: every %(what)s unit already has a credit note.",
            name=self.name, what=self.env._("requested") if base_field == "product_uom_qty"
            else self.env._("received"),
        )

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def _resolve(self, base_field=None):
        """`base_field`: the line quantity to pay for, when not the policy's step (the manual button)."""
        self.ensure_one()
        # Credit notes and orders made as the system take no default from the caller's context.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        handler = getattr(self, f"_resolve_{self.resolution}", None)
        if handler and base_field:
            handler(base_field=base_field)
        elif handler:
            handler()
        self._check_done()

    def _resolve_none(self):
        return True

    def _resolve_refund(self, base_field=None):
        credit_notes = self._create_credit_notes(base_field=base_field)
        if self.policy_id.auto_post_credit_note:
            # Posting settles them against the invoice they reverse (Odoo reconciles reversals). The
            # policy posts on its own behalf: whoever triggered it needs no accounting rights.
            credit_notes.sudo().action_post()
        return credit_notes

    def _resolve_store_credit(self, base_field=None):
        credit_notes = self._create_credit_notes(store_credit=True, base_field=base_field)
        if self.policy_id.auto_post_credit_note:
            # Left unreconciled on purpose: it stays an open credit on the customer's account.
            credit_notes.sudo().action_post()
        return credit_notes

    def _resolve_exchange(self):
        lines_qty = self.line_ids._get_quantities_to_resolve("qty_exchanged")
        if not lines_qty:
            return self.env["sale.order"]
        order = self.env["sale.order"].sudo().with_company(self.company_id).create(
            self._prepare_exchange_order_vals(lines_qty))
        for sale_line in order.order_line.filtered("return_line_id"):
            sale_line.price_unit = sale_line.return_line_id._get_exchange_price(order, sale_line.product_id)
        order.action_confirm()
        self.sudo().date_resolved = fields.Datetime.now()
        self.message_post(body=self.env._(
            "Replacement order %(order)s created for %(user)s.", order=order._get_html_link(),
            user=self.env.user.name,
        ))
        return order

    def _prepare_exchange_order_vals(self, lines_qty):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "warehouse_id": self.warehouse_id.id,
            "origin": self.name,
            "return_order_id": self.id,
            "client_order_ref": self.name,
            "order_line": [Command.create(line._prepare_exchange_line_vals(qty)) for line, qty in lines_qty],
        }

    def _lock_for_resolution(self):
        """Row lock so that two concurrent resolutions cannot both credit the same units."""
        self.env.cr.execute("SELECT id FROM return_order WHERE id IN %s FOR UPDATE", [tuple(self.ids)])
        self.line_ids.invalidate_recordset(["qty_refunded"])

    def _create_credit_notes(self, store_credit=False, base_field=None):
        """One credit note per invoice for the units not credited yet (none when all are).

        Units are matched to the invoice lines that billed them; units never invoiced are recorded as
        such and credited nothing. Created by the system on the policy's behalf, in the return's company.
        """
        self.ensure_one()
        self._lock_for_resolution()
        # Invoices are read and credit notes written by the system: a clerk needs no accounting rights.
        system = self.sudo().with_company(self.company_id)
        lines_qty = system.line_ids._get_quantities_to_resolve("qty_refunded", base_field=base_field)
        if not lines_qty:
            return self.env["account.move"]
        allocation, not_invoiced = system.line_ids._get_credit_allocation(lines_qty)
        for line, qty in not_invoiced:
            line.qty_not_invoiced += qty
        if not_invoiced:
            self.message_post(body=self.env._(
                "Never invoiced, so not credited (they lower what is left to invoice on the sale): %(lines)s.",
                lines=", ".join(f"{qty:g} {line.product_uom_id.name} {line.product_id.display_name}"
                                for line, qty in not_invoiced),
            ))
        by_invoice = defaultdict(list)
        for line, invoice_line, qty in allocation:
            by_invoice[invoice_line.move_id].append((line, invoice_line, qty))
        if not by_invoice:
            return self.env["account.move"]
        vals_list = [
            system._prepare_credit_note_vals(invoice, invoice_lines, store_credit)
            for invoice, invoice_lines in by_invoice.items()
        ]
        credit_notes = system.env["account.move"].create(vals_list)
        system.date_resolved = fields.Datetime.now()
        for credit_note in credit_notes:
            credit_note.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": credit_note, "origin": self},
                subtype_xmlid="mail.mt_note",
            )
        self.message_post(body=self.env._(
            "%(notes)s created by the return policy on behalf of %(user)s.",
            notes=", ".join(str(note._get_html_link()) for note in credit_notes), user=self.env.user.name,
        ))
        return credit_notes.sudo(False)

    def _get_credit_note_journal(self, invoice):
        if invoice:
            return invoice.journal_id
        return self.env["account.journal"].search([
            *self.env["account.journal"]._check_company_domain(self.company_id),
            ("type", "=", "sale"),
        ], limit=1)

    def _prepare_credit_note_vals(self, invoice, lines_qty, store_credit=False):
        """`lines_qty`: [(return line, invoice line or empty, qty in the return line's unit)]."""
        self.ensure_one()
        partner = invoice.partner_id or self.partner_id
        fiscal_position = invoice.fiscal_position_id if invoice else \
            self.env["account.fiscal.position"].with_company(self.company_id)._get_fiscal_position(partner)
        line_commands = []
        # The invoice's discount lines and the early payment discount taken are credited in proportion.
        shares = self.env["return.order.line"]._get_credit_shares(invoice) if invoice else None
        for line, invoice_line, qty in lines_qty:
            line_commands.append(Command.create(
                line._prepare_credit_note_line_vals(qty, fiscal_position, invoice_line)))
            if shares and invoice_line:
                line_commands += [Command.create(vals)
                                  for vals in line._prepare_credit_share_line_vals(qty, invoice_line, shares)]
            fee_vals = line._prepare_restocking_fee_line_vals(qty, fiscal_position, invoice_line)
            if fee_vals:
                line_commands.append(Command.create(fee_vals))
        ref = self.env._("Store credit for %(name)s", name=self.name) if store_credit else \
            self.env._("Return %(name)s", name=self.name)
        return {
            "move_type": "out_refund",
            "partner_id": partner.id,
            "journal_id": self._get_credit_note_journal(invoice).id,
            "currency_id": (invoice.currency_id or self.currency_id).id,
            "fiscal_position_id": fiscal_position.id,
            "invoice_origin": self.name,
            "ref": ref,
            # A store credit is not a reversal: Odoo would settle it against the invoice.
            "reversed_entry_id": False if store_credit else invoice.id,
            "invoice_payment_term_id": self._get_credit_note_payment_term(invoice, store_credit).id,
            # Rounded as the invoice was (cash rounding): what the customer paid, not a cent more or less.
            "invoice_cash_rounding_id": invoice.invoice_cash_rounding_id.id,
            "return_order_id": self.id,
            "is_store_credit": store_credit,
            "company_id": self.company_id.id,
            "invoice_line_ids": line_commands,
        }

    def _get_credit_note_payment_term(self, invoice, store_credit=False):
        """The invoice's payment term; none for a store credit, unless the term reduces the tax of every
        document by its early payment discount (computation *mixed*): then the credit computes its tax on
        the discounted base, as the invoice did."""
        term = invoice.invoice_payment_term_id
        if store_credit and not (term.early_discount and term.early_pay_discount_computation == "mixed"):
            return term.browse()
        return term

    def _is_resolved(self):
        self.ensure_one()
        if self.resolution in ("refund", "store_credit"):
            if any(m.state == "draft" for m in self.sudo().credit_note_ids):
                return False
            return not self.line_ids._get_quantities_to_resolve("qty_refunded", base_field="qty_received")
        if self.resolution == "exchange":
            return not self.line_ids._get_quantities_to_resolve("qty_exchanged", base_field="qty_received")
        return True

    def _check_done(self):
        for order in self.filtered(lambda o: o.state == "received"):
            if order._is_resolved():
                order.sudo().write({"state": "done", "date_done": fields.Datetime.now()})

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _is_restocking_fee_charged(self):
        """Hook: recalls and warranty claims never pay a restocking fee."""
        self.ensure_one()
        return self.return_type in ("customer", "distributor")

    def _get_resolution_base_field(self):
        """The line quantity the resolution pays for at this order's policy step (or the manual button's)."""
        self.ensure_one()
        return "product_uom_qty" if self.policy_id.refund_step == "approval" else "qty_received"
