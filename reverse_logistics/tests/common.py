import struct
import zlib
from contextlib import contextmanager

from odoo import Command
from odoo.addons.stock_account.tests.test_anglo_saxon_valuation_reconciliation_common import (
    ValuationReconciliationTestCommon,
)
from odoo.tests import Form


def png_claiming(width, height):
    """A few hundred bytes of valid PNG whose header claims width x height pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


class ReverseLogisticsCommon(ValuationReconciliationTestCommon):
    """A company with a chart of accounts, automated (FIFO) valuation and a returns warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics.group_return_manager") \
            + cls.env.ref("stock.group_production_lot")
        cls.company = cls.company_data["company"]
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.triage_location = cls.warehouse.return_location_id
        cls.customer_location = cls.env.ref("stock.stock_location_customers")
        cls.policy = cls.env["return.policy"]._get_default_policy(cls.company)
        cls.policy.write({"auto_approve_max_amount": 100000.0, "window_days": 30})
        cls.tax = cls.company_data["default_tax_sale"]
        cls.partner = cls.partner_a
        cls.reason_unwanted = cls.env.ref("reverse_logistics.return_reason_not_needed")
        cls.reason_defect = cls.env.ref("reverse_logistics.return_reason_defective")
        cls.product = cls._create_rl_product("Espresso Machine", cost=60.0, price=100.0)
        cls.product_lot = cls._create_rl_product("Coffee Beans", cost=5.0, price=12.0, tracking="lot")
        cls.product_serial = cls._create_rl_product("Grinder", cost=80.0, price=150.0, tracking="serial")

    @classmethod
    def _create_rl_product(cls, name, cost, price, tracking="none", **extra):
        return cls.env["product.product"].create({
            "name": name,
            "is_storable": True,
            "standard_price": cost,
            "list_price": price,
            "tracking": tracking,
            "invoice_policy": "delivery",
            "categ_id": cls.stock_account_product_categ.id,
            "taxes_id": [Command.set(cls.tax.ids)],
            **extra,
        })

    @classmethod
    def _stock_in(cls, product, qty, lot_name=None, location=None):
        """Put goods on hand through an inventory adjustment, so they carry a valuation layer."""
        lot = cls.env["stock.lot"]
        if lot_name:
            lot = lot.create({"name": lot_name, "product_id": product.id, "company_id": cls.company.id})
        location = location or cls.stock_location
        on_hand = cls.env["stock.quant"]._get_available_quantity(product, location, lot_id=lot, strict=True)
        cls.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id,
            "location_id": location.id,
            "inventory_quantity": on_hand + qty,
            "lot_id": lot.id,
        }).action_apply_inventory()
        return lot

    @classmethod
    def _sell(cls, lines, partner=None, invoice=True):
        """Confirm a sale of [(product, qty, price, discount)], deliver all of it, invoice and post."""
        order = cls.env["sale.order"].create({
            "partner_id": (partner or cls.partner).id,
            "company_id": cls.company.id,
            "warehouse_id": cls.warehouse.id,
            "order_line": [
                Command.create({
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "price_unit": price,
                    "discount": discount,
                    "tax_id": [Command.set(cls.tax.ids)],
                })
                for product, qty, price, discount in lines
            ],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        invoice_move = cls.env["account.move"]
        if invoice:
            invoice_move = order._create_invoices()
            invoice_move.action_post()
        return order, picking, invoice_move

    @staticmethod
    def _click_return_all(document):
        """The document's Return button, then Return All in the wizard: the action opening the draft."""
        action = document.action_create_return_order()
        wizard = document.env[action["res_model"]].browse(action["res_id"])
        return wizard.action_create_return_all()

    def _new_return(self, sale_order, qty=None, reason=None, **vals):
        action = self._click_return_all(sale_order)
        ret = self.env["return.order"].browse(action["res_id"])
        if vals:
            ret.write(vals)
        line_vals = {"reason_id": (reason or self.reason_unwanted).id}
        if qty is not None:
            line_vals["product_uom_qty"] = qty
        ret.line_ids.write(line_vals)
        return ret

    def _write_customer_mails(self, **context):
        """Run the mail cron as Odoo's cron runner would: the customer mails the flow called for are
        written by it, after the step's own transaction."""
        self.env["return.order"].sudo().with_context(**context)._cron_send_customer_mails(batch_size=10000)

    def _receive(self, picking, qty_by_product=None):
        """Validate a receipt; quantities lower than expected leave a backorder, as a user would."""
        for move in picking.move_ids:
            if qty_by_product and move.product_id in qty_by_product:
                move.quantity = qty_by_product[move.product_id]
            move.picked = True
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            Form(self.env["stock.backorder.confirmation"].with_context(**res["context"])).save().process()
        return picking.backorder_ids

    def _quant_qty(self, product, location, lot=None):
        return self.env["stock.quant"]._get_available_quantity(product, location, lot_id=lot, strict=True)

    @contextmanager
    def assertRaisesRegex(self, exception, regex):  # noqa: N802 (unittest's name)
        """Odoo wraps assertRaises in a savepoint but not assertRaisesRegex: do both."""
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertRegex(str(cm.exception), regex)
