"""Property-based tests: random sales and random return histories keep the credit invariants.

CI runs the "ci" profile (fixed seed, bounded examples). Run more by hand with
HYPOTHESIS_PROFILE=long bin/test -k invariants. A failing example is printed shrunk, draw by draw.
"""
import os
from collections import defaultdict
from contextlib import closing

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.tests import Form, tagged
from odoo.tools import float_compare, float_round

from .credit_common import CreditCommon

settings.register_profile(
    "ci", max_examples=20, derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "long", max_examples=150, deadline=None, database=None, print_blob=True,
    suppress_health_check=list(HealthCheck),
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditInvariants(CreditCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"auto_approve_max_amount": 10 ** 9})
        cls._stock_in(cls.product, 500)
        cls.lot = cls._stock_in(cls.product_lot, 500, "PROP-LOT")
        cls.tax_included = cls.env["account.tax"].create({
            "name": "VAT 15% incl. (prop)", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": cls.company.id,
        })
        cls.tax_export = cls.env["account.tax"].create({
            "name": "Export 0% (prop)", "amount": 0.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": cls.company.id,
        })
        cls.fiscal_position = cls.env["account.fiscal.position"].create({
            "name": "Export (prop)", "company_id": cls.company.id,
            "tax_ids": [Command.create({"tax_src_id": cls.tax.id, "tax_dest_id": cls.tax_export.id})],
        })
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        cls.eur_pricelist = cls.env["product.pricelist"].create({
            "name": "EUR (prop)", "currency_id": cls.eur.id, "company_id": cls.company.id,
        })

    @settings(PROFILE)
    @given(data=st.data())
    def test_random_histories(self, data):
        # Each example in a savepoint rolled back at the end: examples never see each other.
        with closing(self.env.cr.savepoint()):
            self._run_history(data.draw)
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    def _run_history(self, draw):
        self.start_move_id = self.env["account.move"].search([], order="id desc", limit=1).id
        fee = draw(st.sampled_from([0.0, 10.0, 12.5]), label="fee %")
        self.policy.restocking_fee_percent = fee
        foreign = draw(st.booleans(), label="foreign currency")
        fiscal = draw(st.booleans(), label="fiscal position")
        specs = []
        for i in range(draw(st.integers(1, 3), label="sale lines")):
            specs.append({
                "product": self._draw_product(draw, i),
                "qty": draw(st.integers(2, 8), label=f"line {i} qty"),
                "price": draw(st.sampled_from([100.0, 33.33, 19.99, 7.77]), label=f"line {i} price"),
                "discount": draw(st.sampled_from([0.0, 7.0, 12.5]), label=f"line {i} discount"),
                "included": draw(st.booleans(), label=f"line {i} taxes included"),
            })
        vals = {}
        if foreign:
            vals["pricelist_id"] = self.eur_pricelist.id
        if fiscal:
            vals["fiscal_position_id"] = self.fiscal_position.id
        order = self._order([
            # Taxes excluded: the product's own tax, mapped by the fiscal position as Odoo does.
            (s["product"], s["qty"], s["price"], s["discount"], self.tax_included if s["included"] else None)
            for s in specs
        ], **vals)
        sale_lines = order.order_line.sorted("id")
        spec_of = dict(zip(sale_lines, specs, strict=True))
        for spec in specs:
            # The fiscal position maps the tax excluded from the price to 0%.
            spec["rate"] = 0.15 if spec["included"] or not fiscal else 0.0
        model = {sl: {"delivered": 0.0, "invoiced": 0.0, "credited": 0.0} for sl in sale_lines}
        self.model, self.spec_of, self.fee = model, spec_of, fee

        # Deliveries and invoices, in 1 to 3 rounds.
        rounds = draw(st.integers(1, 3), label="delivery rounds")
        for rnd in range(rounds):
            picking = order.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))
            if not picking:
                break
            quantities = {}
            for move in picking.move_ids:
                left = int(move.product_uom_qty)
                quantities[move] = left if rnd == rounds - 1 else draw(
                    st.integers(0, left), label=f"round {rnd} deliver {move.product_id.name}")
            if not any(quantities.values()):
                continue
            for move, qty in quantities.items():
                model[move.sale_line_id]["delivered"] += qty
            picking.action_assign()
            for move, qty in quantities.items():
                move.quantity = qty
                move.picked = True
            res = picking.button_validate()
            if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
                Form(self.env["stock.backorder.confirmation"].with_context(res["context"])).save().process()
            if draw(st.booleans(), label=f"round {rnd} invoice"):
                self._invoice_step(order)
            self._check_invariants(order)

        # Returns, Odoo wizard returns and late invoices, in any order.
        for step in range(draw(st.integers(1, 3), label="return steps")):
            kind = draw(st.sampled_from(["return", "return", "wizard", "invoice"]), label=f"step {step}")
            note(f"step {step}: {kind}")
            if kind == "return":
                self._return_step(order, draw, step)
            elif kind == "wizard":
                self._wizard_step(order, draw, step)
            else:
                self._invoice_step(order)
            self._check_invariants(order)

    def _draw_product(self, draw, i):
        """Hook: the product of sale line `i` (a variant may draw kits)."""
        return draw(st.sampled_from([self.product, self.product_lot]), label=f"line {i} product")

    def _invoice_step(self, order):
        to_invoice = {sl: m["delivered"] - (m["invoiced"] - m["credited"]) for sl, m in self.model.items()}
        if not any(qty > 0 for qty in to_invoice.values()):
            return
        self._invoice(order)
        for sale_line, qty in to_invoice.items():
            if qty > 0:
                self.model[sale_line]["invoiced"] += qty

    def _wizard_step(self, order, draw, step):
        deliveries = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done")
        if not deliveries:
            return
        delivery = draw(st.sampled_from(deliveries.sorted("id")), label=f"step {step} wizard delivery")
        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=delivery.id, active_model="stock.picking")).save()
        chosen = {}
        for wizard_line in wizard.product_return_moves:
            most = self._get_wizard_most(wizard_line)
            chosen[wizard_line] = draw(st.integers(0, most), label=f"step {step} wizard {wizard_line.product_id.name}")
        if not any(chosen.values()):
            return
        for wizard_line, qty in chosen.items():
            wizard_line.quantity = qty
        action = wizard.action_create_returns()
        reverse = self.env["stock.picking"].browse(action["res_id"])
        for move in reverse.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
            self.model[move.sale_line_id]["delivered"] -= move.product_uom_qty
        reverse.button_validate()

    def _get_wizard_most(self, wizard_line):
        """What Odoo's wizard still offers of a move, less what return orders of that move asked for."""
        line = self.env["return.order.line"].new({
            "product_id": wizard_line.product_id.id, "origin_move_id": wizard_line.move_id.id,
            "sale_line_id": wizard_line.move_id.sale_line_id.id})
        return int(min(wizard_line.quantity, line._get_returnable_qty() or 0.0))

    def _return_step(self, order, draw, step):
        clerk_env = self.env(user=self.clerk)
        deliveries = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done")
        moves = clerk_env["stock.move"].browse(deliveries.move_ids.ids)
        if not self.env["return.order"]._get_returnable_lines(deliveries.move_ids):
            return
        ret = clerk_env["return.order"].browse(clerk_env["return.order"]._create_from_moves(
            moves, order.partner_id.with_env(clerk_env), sale_order=order.with_env(clerk_env))["res_id"])
        ret.resolution = draw(st.sampled_from(["refund", "store_credit"]), label=f"step {step} resolution")
        for i, line in enumerate(ret.line_ids):
            qty = draw(st.integers(0, int(line.product_uom_qty)), label=f"step {step} return line {i}")
            if qty:
                line.write({"product_uom_qty": qty, "reason_id": self.reason_unwanted.id})
            else:
                line.unlink()
        if not ret.line_ids:
            return
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        receipt = ret.receipt_ids
        while receipt:
            partial = {}
            for move in receipt.move_ids:
                partial[move] = draw(st.integers(1, int(move.product_uom_qty)), label=f"step {step} receive")
            before = {sl: sum(self._received_by_sale_line(ret, sl)) for sl in self.model}
            for move, qty in partial.items():
                move.quantity = qty
                move.picked = True
            res = receipt.with_user(self.clerk).button_validate()
            if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
                Form(self.env["stock.backorder.confirmation"].with_context(res["context"])).save().process()
            for sale_line in self.model:
                received = sum(self._received_by_sale_line(ret, sale_line)) - before[sale_line]
                self._expect_credit(sale_line, received)
            self._check_invariants(order)
            receipt = receipt.backorder_ids.filtered(lambda p: p.state not in ("done", "cancel"))

    def _received_by_sale_line(self, ret, sale_line):
        return [move.quantity for move in ret.receipt_ids.move_ids
                if move.state == "done" and move.sale_line_id == sale_line]

    def _expect_credit(self, sale_line, received):
        """The rule, computed by the test: received units are credited except those never invoiced."""
        if not received:
            return
        m = self.model[sale_line]
        never_invoiced = max(m["delivered"] - (m["invoiced"] - m["credited"]), 0.0)
        waived = min(received, never_invoiced)
        m["credited"] += received - waived
        m["delivered"] -= received

    # ------------------------------------------------------------------
    def _expected_note_total(self, note_record):
        """Total of a credit note computed by the test from its credited quantities: the sale line's
        price, discount and taxes, the fee on the line total rounded once, taxes rounded per line."""
        total = 0.0
        for line in note_record.invoice_line_ids.filtered(lambda aml: not aml.is_restocking_fee):
            spec = self.spec_of[line.sale_line_ids]
            gross = line.quantity * spec["price"] * (1 - spec["discount"] / 100.0)
            fee = r2(gross * self.fee / 100.0)
            if spec["included"]:
                total += r2(gross) - fee
            else:
                total += r2(gross) + r2(r2(gross) * spec["rate"]) - fee - r2(fee * spec["rate"])
        return total

    def _check_invariants(self, order):
        self.env.flush_all()
        self.env.invalidate_all()
        credited_qty = defaultdict(float)
        for sale_line, m in self.model.items():
            note(f"{sale_line.product_id.name}: {m}")
            self.assertAlmostEqual(sale_line.qty_delivered, m["delivered"], msg="delivered as Odoo computes it")
            self.assertAlmostEqual(sale_line.qty_invoiced, m["invoiced"] - m["credited"],
                                   msg="invoiced as Odoo computes it")
            for invoice_line in sale_line.invoice_lines.filtered(
                    lambda aml: aml.move_id.move_type == "out_invoice" and aml.parent_state == "posted"):
                self.assertLessEqual(
                    float_compare(self._credited_by_invoice_line(invoice_line), invoice_line.quantity,
                                  precision_digits=4), 0, "credited <= invoiced per invoice line")
        returns = self.env["return.order"].search([("sale_order_id", "=", order.id)])
        for note_record in returns.credit_note_ids:
            self.assertEqual(note_record.state, "posted")
            self.assertAlmostEqual(note_record.amount_total, self._expected_note_total(note_record), places=2)
            for line in note_record.invoice_line_ids.filtered(lambda aml: not aml.is_restocking_fee):
                credited_qty[line.sale_line_ids] += line.quantity
        for sale_line, m in self.model.items():
            self.assertAlmostEqual(credited_qty[sale_line], m["credited"], msg="units credited by the rule")
        # Every journal entry of the example balances.
        moves = self.env["account.move"].search([("id", ">", self.start_move_id)])
        for move in moves:
            self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit")),
                                   places=2, msg=f"{move.name} balances")
        self._check_triage(order, returns)

    def _check_triage(self, order, returns):
        # Units in triage = received - dispositioned (nothing is dispositioned here).
        for product in order.order_line.product_id:
            lines = returns.line_ids.filtered(lambda rl, p=product: rl.product_id == p)
            in_triage = sum(self.env["stock.quant"].search([
                ("product_id", "=", product.id), ("location_id", "=", self.triage_location.id)]).mapped("quantity"))
            self.assertAlmostEqual(
                in_triage, sum(lines.mapped("qty_received")) - sum(lines.mapped("qty_dispositioned")))
