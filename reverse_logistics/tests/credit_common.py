from collections import defaultdict

from odoo import Command
from odoo.tests import new_test_user
from odoo.tools import float_round

from .common import ReverseLogisticsCommon


class CreditCommon(ReverseLogisticsCommon):
    """Sales delivered and invoiced in steps, and the people who run a return."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_credit_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.returns_manager = new_test_user(
            cls.env, login="rl_credit_manager",
            groups="stock.group_stock_user,reverse_logistics.group_return_manager", **company)
        cls.accountant = new_test_user(
            cls.env, login="rl_credit_accountant",
            groups="account.group_account_invoice,reverse_logistics.group_return_user", **company)

    @classmethod
    def _order(cls, lines, partner=None, **vals):
        """A confirmed sale of [(product, qty, price, discount, taxes)] (taxes: a recordset)."""
        order = cls.env["sale.order"].create({
            "partner_id": (partner or cls.partner).id,
            "company_id": cls.company.id,
            "warehouse_id": cls.warehouse.id,
            "order_line": [
                Command.create({
                    "product_id": product.id, "product_uom_qty": qty, "price_unit": price,
                    "discount": discount,
                    # None: the product's taxes, mapped by the fiscal position, as Odoo sets them.
                    **({"tax_id": [Command.set(taxes.ids)]} if taxes is not None else {}),
                    **({"product_uom": uom.id} if uom else {}),
                })
                for product, qty, price, discount, taxes, *rest in lines
                for uom in [rest[0] if rest else None]
            ],
            **vals,
        })
        order.action_confirm()
        return order

    def _deliver(self, order, qty_by_product=None):
        """Validate the open delivery, for the given quantities (backorder for the rest)."""
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")
                                             and p.picking_type_code == "outgoing")
        picking.action_assign()
        return self._receive(picking, qty_by_product)

    def _invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def _credited_by_invoice_line(self, invoice_line):
        """Units credited against an invoice line by any credit note (read from the journal)."""
        refunds = invoice_line.sale_line_ids.invoice_lines.filtered(
            lambda aml: aml.move_id.move_type == "out_refund" and aml.parent_state == "posted"
            and aml.refunded_invoice_line_id == invoice_line)
        return sum(refunds.mapped("quantity"))

    def _assert_allocations_match_credit_notes(self, ret):
        """Every line of units on the return's credit notes has exactly one allocation saying the same (return
        line, invoice line credited, quantity in the return line's unit, untaxed amount); every credited
        allocation is one of them; per return line, the allocations not cancelled add up to what is credited
        plus what was never invoiced."""
        ret = ret.sudo()
        allocations = ret.credit_allocation_ids
        unit_lines = ret.credit_note_ids.invoice_line_ids.filtered(
            lambda aml: aml.return_line_id and not aml.is_restocking_fee and not aml.return_credit_share)
        for aml in unit_lines:
            allocation = allocations.filtered(lambda a, aml=aml: a.credit_note_line_id == aml)
            self.assertEqual(len(allocation), 1, f"one allocation for {aml.display_name}")
            line = aml.return_line_id
            self.assertEqual(allocation.kind, "credited")
            self.assertEqual(allocation.return_line_id, line)
            self.assertEqual(allocation.order_id, ret)
            self.assertEqual(allocation.product_id, line.product_id)
            self.assertEqual(allocation.product_uom_id, line.product_uom_id)
            self.assertEqual(allocation.invoice_line_id, aml.refunded_invoice_line_id)
            self.assertEqual(allocation.invoice_id, aml.refunded_invoice_line_id.move_id)
            self.assertEqual(allocation.credit_note_id, aml.move_id)
            self.assertEqual(allocation.company_id, ret.company_id)
            self.assertAlmostEqual(
                allocation.qty, aml.product_uom_id._compute_quantity(aml.quantity, line.product_uom_id))
            self.assertAlmostEqual(allocation.amount, aml.price_subtotal)
            self.assertEqual(allocation.currency_id, aml.currency_id)
            self.assertEqual(allocation.state,
                             {"posted": "done", "cancel": "cancel"}.get(aml.parent_state, "draft"))
        self.assertEqual(allocations.filtered(lambda a: a.kind == "credited").credit_note_line_id, unit_lines)
        for line in ret.line_ids:
            counted = line.credit_allocation_ids.filtered(lambda a: a.state != "cancel")
            self.assertAlmostEqual(sum(counted.mapped("qty")), line.qty_refunded + line.qty_not_invoiced,
                                   msg=f"{line.display_name}: allocations = credited + never invoiced")
            self.assertAlmostEqual(
                sum(counted.filtered(lambda a: a.kind == "not_invoiced").mapped("qty")), line.qty_not_invoiced)

    def _return_as(self, user, sale, qty=None, reason=None, **vals):
        """The return the user creates from the delivery of a sale, as he would."""
        pickings = sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done")
        env = self.env(user=user)
        ret = env["return.order"].browse(env["return.order"]._create_from_moves(
            env["stock.move"].browse(pickings.move_ids.ids), sale.partner_id.with_env(env),
            sale_order=sale.with_env(env))["res_id"])
        if vals:
            ret.write(vals)
        ret.line_ids.write({"reason_id": (reason or self.reason_unwanted).id})
        if qty is not None:
            # The user spreads the units over the lines offered (one per delivered move), in order.
            left = qty
            for line in ret.line_ids:
                take = min(left, line.product_uom_qty)
                left -= take
                if take:
                    line.product_uom_qty = take
                else:
                    line.unlink()
        return ret

    # Reading the journal ------------------------------------------------------------------------
    def _product_accounts(self, product):
        """The product's accounts as its category configures them (receivable aside): income, expense
        (cost of goods), stock_output (interim), stock_valuation."""
        return product.product_tmpl_id.with_company(self.company).get_product_accounts()

    def _balances(self, moves):
        """{account: balance in company currency} of the journal items of `moves` (entries or items),
        rounded to cents, accounts at zero left out."""
        totals = defaultdict(float)
        for aml in moves.sudo() if moves._name == "account.move.line" else moves.sudo().line_ids:
            totals[aml.account_id] += aml.balance
        return {account: float_round(total, precision_digits=2) for account, total in totals.items()
                if float_round(total, precision_digits=2)}

    def _assert_balances(self, moves, expected, msg=None):
        """The journal items of `moves` per account are `expected` ({account: balance}; accounts
        named twice are added up), and nothing else."""
        wanted = defaultdict(float)
        for account, amount in expected:
            wanted[account] += amount
        wanted = {account: float_round(total, precision_digits=2) for account, total in wanted.items()
                  if float_round(total, precision_digits=2)}
        actual = self._balances(moves)
        self.assertEqual(
            {a.code: b for a, b in actual.items()}, {a.code: b for a, b in wanted.items()},
            msg or "journal items per account")

    def _stock_entries(self, moves):
        """The stock journal entries of stock moves (valuation), as the system reads them."""
        return moves.sudo().account_move_ids
