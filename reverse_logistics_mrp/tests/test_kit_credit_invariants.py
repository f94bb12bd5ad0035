"""The credit invariants of reverse_logistics, with kits drawn among the sale lines.

The sale lines' delivered kits are computed by the test from the component moves: whole kits of
the components at the customer (delivered, less those back with to_refund), as sale_mrp counts them.
Every configuration of the core's invariants is drawn (global discount, cash rounding, the ecotax,
early payment discounts, fees), kits credited on receipt; the stock interim check leaves kits out
(a kit is no storable product: Odoo books no cost of goods on its invoice lines).
"""
import math
from collections import defaultdict

from hypothesis import strategies as st

from odoo import Command
from odoo.addons.reverse_logistics.tests import test_credit_invariants as base
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestKitCreditInvariants(base.TestCreditInvariants):
    """Runs the inherited property test (test_random_histories) with these hooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cup = cls._create_rl_product("Prop Cup", cost=5.0, price=10.0)
        cls.machine = cls._create_rl_product("Prop Machine", cost=60.0, price=150.0)
        cls.kit = cls._create_rl_product("Prop Kit", cost=0.0, price=200.0, is_storable=False)
        cls.env["mrp.bom"].create({
            "product_tmpl_id": cls.kit.product_tmpl_id.id, "type": "phantom", "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": cls.cup.id, "product_qty": 2}),
                             Command.create({"product_id": cls.machine.id, "product_qty": 1})],
        })
        cls.per_kit = {cls.cup: 2.0, cls.machine: 1.0}
        cls._stock_in(cls.cup, 1000)
        cls._stock_in(cls.machine, 500)

    def _draw_product(self, draw, i):
        # The first line is always a kit.
        pool = [self.kit] if i == 0 else [self.kit, self.product, self.product_lot]
        return draw(st.sampled_from(pool), label=f"line {i} product")

    def _draw_refund_step(self, draw):
        # Credited on receipt: the test counts a kit credited once all its components are back.
        return "receipt"

    def _kits(self, qty_by_product):
        return max(min(math.floor(round(qty_by_product[p] / n, 6)) for p, n in self.per_kit.items()), 0)

    def _kit_delivered(self, sale_line):
        at_customer = defaultdict(float)
        for move in sale_line.move_ids.filtered(lambda m: m.state == "done"):
            if move.location_dest_id.usage == "customer":
                at_customer[move.product_id] += move.quantity
            elif move.location_id.usage == "customer" and move.to_refund:
                at_customer[move.product_id] -= move.quantity
        return self._kits(at_customer)

    def _refresh_kits(self):
        for sale_line, m in self.model.items():
            if sale_line.product_id == self.kit:
                m["delivered"] = self._kit_delivered(sale_line)

    def _invoice_step(self, order):
        self._refresh_kits()
        return super()._invoice_step(order)

    def _get_wizard_most(self, wizard_line):
        sale_line = wizard_line.move_id.sale_line_id
        if sale_line.product_id != self.kit:
            return super()._get_wizard_most(wizard_line)
        # Whole kits still returnable, in this component.
        line = self.env["return.order.line"].new({"product_id": self.kit.id, "sale_line_id": sale_line.id})
        kits = line._get_returnable_qty() or 0.0
        return int(min(wizard_line.quantity, kits * self.per_kit[wizard_line.product_id]))

    def _received_by_sale_line(self, ret, sale_line):
        if sale_line.product_id != self.kit:
            return super()._received_by_sale_line(ret, sale_line)
        received = defaultdict(float)
        for move in ret.receipt_ids.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id == sale_line):
            received[move.product_id] += move.quantity
        return [self._kits(received)]

    def _expect_credit(self, sale_line, received):
        if sale_line.product_id != self.kit:
            return super()._expect_credit(sale_line, received)
        # Odoo's delivered kits already dropped for kits partly back; the received (complete) kits are
        # credited except those never invoiced, as for any product.
        m = self.model[sale_line]
        delivered_after = self._kit_delivered(sale_line)
        never_invoiced = max(delivered_after + received - (m["invoiced"] - m["credited"]), 0.0)
        m["credited"] += received - min(received, never_invoiced)
        m["delivered"] = delivered_after

    def _check_invariants(self, order):
        self._refresh_kits()
        return super()._check_invariants(order)

    def _check_triage(self, order, returns):
        if self.kit not in order.order_line.product_id:
            return super()._check_triage(order, returns)
        # Triage holds the components received; a kit line counts its complete kits.
        for line in returns.line_ids.filtered(lambda rl: rl.product_id == self.kit):
            received = defaultdict(float)
            for move in line.move_ids.filtered(lambda m: m.state == "done"):
                received[move.product_id] += move.quantity
            self.assertAlmostEqual(line.qty_received, self._kits(received), msg="complete kits received")
        kit_moves = returns.receipt_ids.move_ids.filtered(lambda m: m.state == "done")
        for component in self.per_kit:
            in_triage = sum(self.env["stock.quant"].search([
                ("product_id", "=", component.id), ("location_id", "=", self.triage_location.id)]).mapped("quantity"))
            self.assertAlmostEqual(
                in_triage, sum(kit_moves.filtered(lambda m, c=component: m.product_id == c).mapped("quantity")))
        for product in order.order_line.product_id - self.kit:
            lines = returns.line_ids.filtered(lambda rl, p=product: rl.product_id == p)
            in_triage = sum(self.env["stock.quant"].search([
                ("product_id", "=", product.id), ("location_id", "=", self.triage_location.id)]).mapped("quantity"))
            self.assertAlmostEqual(
                in_triage, sum(lines.mapped("qty_received")) - sum(lines.mapped("qty_dispositioned")))
