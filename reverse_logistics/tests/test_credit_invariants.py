"""Property-based tests: random sales and random return histories keep the credit invariants.

The sales draw what changes what a customer pays beside the unit price and what comes back: taxes
included or excluded, a fixed ecotax, fiscal positions, currencies, a global discount (sale's
Discount button), cash rounding, an early payment discount taken or not (tax reduced on payment, or
never), a restocking fee, lots, serial numbers (and a serial from the shelf scanned by mistake),
consignment stock, a FIFO product whose cost rose after the delivery, credits on receipt or at
approval. The test computes every credit note's total itself, and the cost of goods through the
stock interim account.

CI runs the "ci" profile (fixed seed, bounded examples). Run more by hand with
HYPOTHESIS_PROFILE=long bin/test -k invariants. A failing example is printed shrunk, draw by draw.
"""
import os
from collections import defaultdict
from contextlib import closing

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from odoo import Command, fields, models
from odoo.exceptions import UserError
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
        cls.policy.write({"auto_approve_max_amount": 10 ** 9, "lot_match_required": False})
        cls._stock_in(cls.product, 500)
        cls.lot = cls._stock_in(cls.product_lot, 500, "PROP-LOT")
        for i in range(30):
            cls._stock_in(cls.product_serial, 1, f"PROP-SN-{i:02d}")
        cls.tax_included = cls.env["account.tax"].create({
            "name": "VAT 15% incl. (prop)", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": cls.company.id,
        })
        cls.tax_export = cls.env["account.tax"].create({
            "name": "Export 0% (prop)", "amount": 0.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": cls.company.id,
        })
        # A fixed amount per unit before VAT (the VAT is computed on price + ecotax).
        cls.tax_eco = cls.tax.copy({
            "name": "Ecotax 0.50 (prop)", "amount_type": "fixed", "amount": 0.5, "include_base_amount": True,
            "sequence": cls.tax.sequence - 1,
        })
        cls.fiscal_position = cls.env["account.fiscal.position"].create({
            "name": "Export (prop)", "company_id": cls.company.id,
            "tax_ids": [Command.create({"tax_src_id": cls.tax.id, "tax_dest_id": cls.tax_export.id})],
        })
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        cls.eur_pricelist = cls.env["product.pricelist"].create({
            "name": "EUR (prop)", "currency_id": cls.eur.id, "company_id": cls.company.id,
        })
        # Consignment (Settings > Inventory > Consignment): stock a partner owns, valued by nobody.
        cls.env.ref("base.group_user").implied_ids += cls.env.ref("stock.group_tracking_owner")
        cls.consignor = cls.env["res.partner"].create({"name": "Consignor (prop)"})
        cls.product_consigned = cls._create_rl_product("Prop Consigned Grinder", cost=70.0, price=100.0)
        cls.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": cls.product_consigned.id, "location_id": cls.stock_location.id,
            "owner_id": cls.consignor.id, "inventory_quantity": 500,
        }).action_apply_inventory()
        # FIFO, stocked per example at 50.00; its cost rises to 90.00 after the deliveries.
        cls.product_fifo = cls._create_rl_product("Prop FIFO Machine", cost=50.0, price=100.0)
        cls.unit_cost = {cls.product: 60.0, cls.product_lot: 5.0, cls.product_serial: 80.0,
                         cls.product_consigned: 0.0, cls.product_fifo: 50.0}
        cls.cash_rounding = cls.env["account.cash.rounding"].create({
            "name": "0.05 (prop)", "rounding": 0.05, "strategy": "add_invoice_line", "rounding_method": "HALF-UP",
            "profit_account_id": cls.company_data["default_account_revenue"].id,
            "loss_account_id": cls.company_data["default_account_expense"].id,
        })
        cls.early_terms = {
            computation: cls.env["account.payment.term"].create({
                "name": f"2/10 net 30 ({computation}, prop)", "company_id": cls.company.id,
                "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
                "early_pay_discount_computation": computation,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }) for computation in ("included", "excluded")
        }
        if not cls.company.sale_discount_product_id:
            cls.company.sale_discount_product_id = cls.env["product.product"].create({
                "name": "Discount (prop)", "type": "service", "invoice_policy": "order", "list_price": 0.0,
                "taxes_id": [Command.clear()], "company_id": cls.company.id,
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
        self.draw = draw
        self.start_move_id = self.env["account.move"].search([], order="id desc", limit=1).id
        fee = draw(st.sampled_from([0.0, 10.0, 12.5]), label="fee %")
        self.policy.restocking_fee_percent = fee
        self.refund_step = self._draw_refund_step(draw)
        self.policy.refund_step = self.refund_step
        foreign = draw(st.booleans(), label="foreign currency")
        fiscal = draw(st.booleans(), label="fiscal position")
        self.global_discount = draw(st.sampled_from([0.0, 0.0, 10.0]), label="global discount %")
        self.term = draw(st.sampled_from([None, None, "included", "excluded"]), label="early payment term")
        # The early payment discount is rounded by the cash rounding too: not drawn together.
        self.rounding = not self.term and draw(st.booleans(), label="cash rounding")
        specs = []
        for i in range(draw(st.integers(1, 3), label="sale lines")):
            specs.append({
                "product": self._draw_product(draw, i),
                "qty": draw(st.integers(2, 8), label=f"line {i} qty"),
                "price": draw(st.sampled_from([100.0, 33.33, 19.99, 7.77]), label=f"line {i} price"),
                "discount": draw(st.sampled_from([0.0, 7.0, 12.5]), label=f"line {i} discount"),
                "taxes": draw(st.sampled_from(["excluded", "included", "eco"]), label=f"line {i} taxes"),
            })
        fifo_qty = sum(s["qty"] for s in specs if s["product"] == self.product_fifo)
        if fifo_qty:
            self._stock_in(self.product_fifo, fifo_qty)
        vals = {}
        if foreign:
            vals["pricelist_id"] = self.eur_pricelist.id
        if fiscal:
            vals["fiscal_position_id"] = self.fiscal_position.id
        if self.term:
            vals["payment_term_id"] = self.early_terms[self.term].id
        order = self._order([
            # Taxes excluded: the product's own tax, mapped by the fiscal position as Odoo does.
            (s["product"], s["qty"], s["price"], s["discount"], self._spec_taxes(s)) for s in specs
        ], **vals)
        sale_lines = order.order_line.sorted("id")
        spec_of = dict(zip(sale_lines, specs, strict=True))
        for spec in specs:
            # The tax a discount line of the line's group carries: the VAT (the ecotax is fixed).
            spec["vat"] = {"excluded": self.tax_export if fiscal else self.tax, "included": self.tax_included,
                           "eco": self.tax}[spec["taxes"]]
            spec["rate"] = spec["vat"].amount / 100.0
        model = {sl: {"delivered": 0.0, "invoiced": 0.0, "credited": 0.0, "unreceived": 0.0} for sl in sale_lines}
        self.model, self.spec_of, self.fee = model, spec_of, fee
        self.invoices = {}
        self.discount_of = {}
        if self.global_discount:
            self._apply_global_discount(order, specs)

        # Deliveries and invoices, in 1 to 3 rounds. A global discount is invoiced at once with all the
        # goods (invoiced first, alone, it could exceed them: Odoo would make that invoice a credit note).
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
                Form(self.env["stock.backorder.confirmation"].with_context(**res["context"])).save().process()
            if not self.global_discount and draw(st.booleans(), label=f"round {rnd} invoice"):
                self._invoice_step(order)
            self._check_invariants(order)
        if self.global_discount:
            self._invoice_step(order)
            self._check_invariants(order)
        if fifo_qty:
            # Bought again at 90.00 after the deliveries: today's FIFO cost is no longer what left.
            self.product_fifo.standard_price = 90.0
            self._stock_in(self.product_fifo, 5)

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
        return draw(st.sampled_from([self.product_fifo, self.product, self.product_lot, self.product_serial,
                                     self.product_consigned]), label=f"line {i} product")

    def _draw_refund_step(self, draw):
        """Hook: when the policy credits (on receipt, or at approval for the units asked for)."""
        return draw(st.sampled_from(["receipt", "approval"]), label="credit step")

    def _spec_taxes(self, spec):
        return {"excluded": None, "included": self.tax_included, "eco": self.tax_eco | self.tax}[spec["taxes"]]

    def _apply_global_discount(self, order, specs):
        """Sale's Discount button, Global Discount: one line per set of taxes (the fixed ecotax aside) of
        the order's total at those taxes, at the price's precision."""
        self.env["sale.order.discount"].with_context(active_id=order.id).create({
            "sale_order_id": order.id, "discount_type": "so_discount",
            "discount_percentage": self.global_discount / 100.0,
        }).action_apply_discount()
        totals = defaultdict(float)
        for spec in specs:
            totals[spec["vat"]] += spec["qty"] * spec["price"] * (1 - spec["discount"] / 100.0)
        self.discount_of = {vat: -r2(total * self.global_discount / 100.0) for vat, total in totals.items()}

    def _invoice_step(self, order):
        to_invoice = {sl: m["delivered"] - (m["invoiced"] - m["credited"]) for sl, m in self.model.items()}
        if not any(qty > 0 for qty in to_invoice.values()):
            return
        invoice = order._create_invoices()
        if self.rounding:
            # The accountant sets the cash rounding on the draft invoice.
            invoice.with_user(self.accountant).invoice_cash_rounding_id = self.cash_rounding
        invoice.action_post()
        record = {"lines": {}, "discounts": {}, "early": False}
        for sale_line, qty in to_invoice.items():
            if qty > 0:
                self.model[sale_line]["invoiced"] += qty
                record["lines"][sale_line] = qty
        if self.discount_of and not any(rec["discounts"] for rec in self.invoices.values()):
            record["discounts"] = dict(self.discount_of)
        record["base"] = defaultdict(float)
        for sale_line, qty in record["lines"].items():
            spec = self.spec_of[sale_line]
            record["base"][spec["vat"]] += qty * spec["price"] * (1 - spec["discount"] / 100.0)
        self.invoices[invoice] = record
        if self.term:
            paid = self.draw(st.sampled_from(["early", "late", "no"]), label=f"pay {invoice.name}")
            if paid != "no":
                register = Form(self.env["account.payment.register"].with_user(self.accountant).with_context(
                    active_model="account.move", active_ids=invoice.ids))
                register.payment_date = invoice.invoice_date if paid == "early" else \
                    fields.Date.add(invoice.invoice_date, days=20)
                register.save().action_create_payments()
                record["early"] = paid == "early"

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
        if wizard_line.product_id.tracking == "serial":
            # Odoo's wizard takes the serials in delivery order, also those a return order took back.
            return 0
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
        if self.refund_step == "approval":
            for sale_line, lines in ret.line_ids.grouped("sale_line_id").items():
                self._expect_credit_requested(sale_line, sum(lines.mapped("product_uom_qty")))
            self._check_invariants(order)
        receipt = ret.receipt_ids
        while receipt:
            self._scan_shelf_serial(receipt, draw, step)
            partial = {}
            for move in receipt.move_ids:
                partial[move] = draw(st.integers(1, int(move.product_uom_qty)), label=f"step {step} receive")
            before = {sl: sum(self._received_by_sale_line(ret, sl)) for sl in self.model}
            for move, qty in partial.items():
                move.quantity = qty
                move.picked = True
            res = receipt.with_user(self.clerk).button_validate()
            if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
                Form(self.env["stock.backorder.confirmation"].with_context(**res["context"])).save().process()
            for sale_line in self.model:
                received = sum(self._received_by_sale_line(ret, sale_line)) - before[sale_line]
                self._expect_credit(sale_line, received)
            self._check_invariants(order)
            receipt = receipt.backorder_ids.filtered(lambda p: p.state not in ("done", "cancel"))

    def _scan_shelf_serial(self, receipt, draw, step):
        """The clerk scans a serial that is on the shelf: refused, nothing moves; then the right one."""
        serial_lines = receipt.move_line_ids.filtered(lambda ml: ml.product_id.tracking == "serial" and ml.lot_id)
        shelf = self.env["stock.quant"].search([
            ("product_id", "=", self.product_serial.id), ("location_id", "=", self.stock_location.id),
            ("quantity", ">", 0)], limit=1).lot_id
        if not serial_lines or not shelf or not draw(st.booleans(), label=f"step {step} scan a shelf serial"):
            return
        move_line, announced = serial_lines[0], serial_lines[0].lot_id
        in_triage = self._quant_qty(self.product_serial, self.triage_location)
        move_line.lot_id = shelf
        for move in receipt.move_ids:
            move.picked = True
        with self.assertRaisesRegex(UserError, shelf.name):
            receipt.with_user(self.clerk).button_validate()
        self.assertNotEqual(receipt.state, "done")
        self.assertEqual(self._quant_qty(self.product_serial, self.triage_location), in_triage, "nothing received")
        move_line.lot_id = announced

    def _received_by_sale_line(self, ret, sale_line):
        return [move.quantity for move in ret.receipt_ids.move_ids
                if move.state == "done" and move.sale_line_id == sale_line]

    def _expect_credit_requested(self, sale_line, qty):
        """Credit at approval, for the units asked for: those never invoiced aside, counting the units
        already resolved but not back yet as no longer delivered (as the allocation does)."""
        m = self.model[sale_line]
        never_invoiced = max(m["delivered"] - m["unreceived"] - (m["invoiced"] - m["credited"]), 0.0)
        m["credited"] += qty - min(qty, never_invoiced)
        m["unreceived"] += qty

    def _expect_credit(self, sale_line, received):
        """The rule, computed by the test: received units are credited except those never invoiced (on
        receipt), or were credited at approval already; they are no longer delivered."""
        if not received:
            return
        m = self.model[sale_line]
        if self.refund_step == "receipt":
            never_invoiced = max(m["delivered"] - (m["invoiced"] - m["credited"]), 0.0)
            m["credited"] += received - min(received, never_invoiced)
        m["unreceived"] = max(m["unreceived"] - received, 0.0)
        m["delivered"] -= received

    # ------------------------------------------------------------------
    def _expected_notes(self, notes):
        """{credit note: (total, discount shares, early payment shares)} computed by the test from the
        credited quantities and the invoices it made: the sale line's price, discount and taxes; the
        invoice's global discount in proportion (per VAT, rounded on the running total of what returns
        credited); the fee on what was paid (rounded once); the early payment discount taken (on the
        price with its VAT when the tax is reduced on payment, else on the untaxed amount); taxes
        rounded per line; the invoice's cash rounding."""
        credited = defaultdict(float)  # (invoice, VAT) -> what returns credited, at the price's gross
        early_base = defaultdict(float)  # (invoice, VAT or None) -> what was paid for it, as measured
        pct = 0.02
        result = {}
        for note_record in notes.sorted("id"):
            total = discount_total = early_total = 0.0
            units = note_record.invoice_line_ids.filtered(
                lambda aml: not aml.is_restocking_fee and not aml.return_credit_share).sorted("id")
            for line in units:
                spec = self.spec_of[line.sale_line_ids]
                invoice = line.refunded_invoice_line_id.move_id
                record = self.invoices[invoice]
                vat, rate, qty = spec["vat"], spec["rate"], line.quantity
                gross = qty * spec["price"] * (1 - spec["discount"] / 100.0)
                paid, share = 1.0, 0.0
                amount, base = record["discounts"].get(vat), record["base"][vat]
                if amount:
                    cum = credited[invoice, vat]
                    share = r2(r2(amount * (cum + gross) / base) - r2(amount * cum / base))
                    paid += amount / base
                    discount_total += share
                credited[invoice, vat] += gross
                fee = r2(gross * paid * self.fee / 100.0)
                early = 0.0
                if record["early"]:
                    key = vat if self.term == "included" else None
                    measure = paid if self.term == "included" else self._untaxed_paid_share(spec, record, line)
                    cum = early_base[invoice, key]
                    early = r2(r2(pct * (cum + gross * measure)) - r2(pct * cum))
                    early_base[invoice, key] += gross * measure
                    early_total -= early
                if spec["taxes"] == "included":
                    total += r2(gross) + share - fee - early
                else:
                    eco = 0.5 * qty if spec["taxes"] == "eco" else 0.0
                    total += r2(gross) + eco + r2((r2(gross) + eco) * rate)
                    total += share + r2(share * rate) - fee - r2(fee * rate)
                    total -= early + (r2(early * rate) if self.term == "included" else 0.0)
            if self.rounding:
                total = float_round(total, precision_rounding=0.05)
            result[note_record] = (total, discount_total, early_total)
        return result

    def _untaxed_paid_share(self, spec, record, line):
        """Untaxed amount paid per unit of the invoice line's gross price, its discount share off (as the
        invoice line's and the discount line's untaxed amounts, rounded as the invoice rounds them)."""
        vat = spec["vat"]
        invoiced = record["lines"][line.sale_line_ids]
        gross = invoiced * spec["price"] * (1 - spec["discount"] / 100.0)
        measure = self._untaxed(gross, spec["taxes"] == "included") / gross
        amount = record["discounts"].get(vat)
        if amount:
            measure += self._untaxed(amount, vat == self.tax_included) / record["base"][vat]
        return measure

    def _untaxed(self, gross, included):
        return r2(gross / 1.15) if included else r2(gross)

    def _check_stored_values(self):
        """What is stored is what a fresh computation gives, for every stored computed field of the core
        that the system sets (editable computes are user input): a stale value means an @api.depends
        that misses what its compute reads."""
        self.env.flush_all()
        self.env.invalidate_all()
        for model_name in ("return.order", "return.order.line", "return.grading", "return.credit.allocation"):
            model = self.env[model_name].with_context(active_test=False)
            names = [name for name, field in model._fields.items()
                     if field.store and field.compute and field.readonly and field._module == "reverse_logistics"]
            records = model.search([])
            stored = self._values(records, names)
            for name in names:
                self.env.add_to_compute(model._fields[name], records)
            records._recompute_recordset(names)
            self.env.flush_all()
            self.env.invalidate_all()
            self.assertEqual(self._values(records, names), stored, f"{model_name}: stored computed fields")

    def _values(self, records, names):
        return {record.id: {name: record[name].ids if isinstance(record[name], models.BaseModel) else record[name]
                            for name in names} for record in records}

    def _check_invariants(self, order):
        self._check_stored_values()
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
        expected = self._expected_notes(returns.credit_note_ids)
        for note_record in returns.credit_note_ids:
            total, discounts, early = expected[note_record]
            lines = note_record.invoice_line_ids
            self.assertEqual(note_record.state, "posted")
            self.assertAlmostEqual(
                sum(lines.filtered(lambda aml: aml.return_credit_share == "discount").mapped("price_unit")),
                discounts, places=2, msg="the global discount's share")
            self.assertAlmostEqual(
                sum(lines.filtered(lambda aml: aml.return_credit_share == "early_payment").mapped("price_unit")),
                early, places=2, msg="the early payment discount's share")
            self.assertAlmostEqual(note_record.amount_total, total, places=2)
            if self.rounding and note_record.reversed_entry_id:
                self.assertEqual(note_record.invoice_cash_rounding_id, self.cash_rounding)
            for line in lines.filtered(lambda aml: not aml.is_restocking_fee and not aml.return_credit_share):
                credited_qty[line.sale_line_ids] += line.quantity
        for sale_line, m in self.model.items():
            self.assertAlmostEqual(credited_qty[sale_line], m["credited"], msg="units credited by the rule")
        # The allocations kept say what the credit notes say: per return line, credited + never invoiced.
        for ret in returns:
            self._assert_allocations_match_credit_notes(ret)
        # No discount line is ever given back beyond what it took off.
        for invoice in self.invoices:
            for discount_line in invoice.invoice_line_ids.filtered(lambda aml: aml.price_unit < 0):
                shares = self.env["account.move.line"].search([("refunded_invoice_line_id", "=", discount_line.id)])
                self.assertLessEqual(float_compare(-sum(shares.mapped("price_unit")), -discount_line.price_unit,
                                                   precision_digits=2), 0, "a discount credited at most once")
        # Every journal entry of the example balances.
        moves = self.env["account.move"].search([("id", ">", self.start_move_id)])
        for move in moves:
            self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit")),
                                   places=2, msg=f"{move.name} balances")
        self._check_interim(order)
        self._check_triage(order, returns)

    def _check_interim(self, order):
        """The cost of goods, through the stock interim account: each product's delivered units not
        invoiced (net of credits) at the cost they left with; nothing for consignment stock. So every
        credit reversed the cost the receipt values the unit at, before or after the receipt."""
        for product in self._get_interim_products(order):
            lines = self.model.items()
            outstanding = sum(m["delivered"] - (m["invoiced"] - m["credited"])
                              for sl, m in lines if sl.product_id == product)
            account = self._product_accounts(product)["stock_output"]
            interim = self.env["account.move.line"].search([
                ("product_id", "=", product.id), ("account_id", "=", account.id),
                ("move_id", ">", self.start_move_id), ("parent_state", "=", "posted")])
            self.assertAlmostEqual(sum(interim.mapped("balance")), r2(outstanding * self.unit_cost[product]),
                                   places=2, msg=f"{product.name}: stock interim account")

    def _get_interim_products(self, order):
        """Hook: the products whose cost of goods the interim account check follows."""
        return order.order_line.product_id & self.env["product.product"].concat(*self.unit_cost)

    def _check_triage(self, order, returns):
        # Units in triage = received - dispositioned (nothing is dispositioned here).
        for product in order.order_line.product_id - order.company_id.sale_discount_product_id:
            lines = returns.line_ids.filtered(lambda rl, p=product: rl.product_id == p)
            quants = self.env["stock.quant"].search([
                ("product_id", "=", product.id), ("location_id", "=", self.triage_location.id)])
            self.assertAlmostEqual(sum(quants.mapped("quantity")),
                                   sum(lines.mapped("qty_received")) - sum(lines.mapped("qty_dispositioned")))
            if product == self.product_consigned:
                # Consignment stock comes back its owner's, valued by nobody.
                for quant in quants.filtered("quantity"):
                    self.assertEqual(quant.owner_id, self.consignor, "the consignor's unit")
                layers = self.env["stock.valuation.layer"].search([("stock_move_id", "in", lines.move_ids.ids)])
                self.assertFalse(layers, "no valuation of stock the company never owned")
