"""The compliance registers' menus open the register of the last period, computed, not an unsaved form."""

from datetime import date, timedelta

from odoo import fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

REGISTERS = {
    # model: (the menu's server action, the group that reads it, the menu)
    "weee.register": ("reverse_logistics_weee.action_weee_register_last_period",
                      "reverse_logistics.group_return_manager", "reverse_logistics_weee.menu_weee_register"),
    "packaging.reuse.register": ("reverse_logistics_assets.action_packaging_reuse_register_last_period",
                                 "reverse_logistics_assets.group_asset_manager",
                                 "reverse_logistics_assets.menu_packaging_reuse_register"),
}


@tagged("post_install", "-at_install")
class TestRegistersOpenComputed(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.readers = {
            model: new_test_user(cls.env, login=f"rl_reg_{model}", groups=f"base.group_user,{group}",
                                 company_id=cls.company.id, company_ids=[cls.company.id])
            for model, (_action, group, _menu) in REGISTERS.items()
        }
        cls.clerk = new_test_user(cls.env, login="rl_reg_clerk", company_id=cls.company.id,
                                  company_ids=[cls.company.id],
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user")

    def test_menu_opens_last_month_computed(self):
        for model, (xmlid, _group, menu) in REGISTERS.items():
            with self.subTest(model=model):
                user = self.readers[model]
                self.assertEqual(self.env.ref(menu).action, self.env.ref(xmlid), "the menu runs the server action")
                action = self.env.ref(xmlid).with_user(user).run()
                self.assertEqual((action["type"], action["res_model"], action["view_mode"]),
                                 ("ir.actions.act_window", model, "form"))
                register = self.env[model].with_user(user).browse(action["res_id"])
                # The last whole month before today, whatever today is.
                last = fields.Date.today().replace(day=1) - timedelta(days=1)
                first = last.replace(day=1)
                self.assertEqual((register.date_from, register.date_to), (first, last))
                self.assertEqual(last.month % 12 + 1, fields.Date.today().month)
                self.assertEqual(register.company_id, self.company)
                self.assertEqual(register.display_name, f"{register._description}, "
                                 f"{format_date(register.env, first)} to {format_date(register.env, last)}",
                                 "the breadcrumb names the register and its period")
                # Computed: the same lines as a register of that period computed by hand.
                by_hand = self.env[model].with_user(user).create({"date_from": first, "date_to": last})
                by_hand.action_compute()
                columns = [name for name, _header in register._get_register_columns()]
                self.assertEqual([[line[name] for name in columns] for line in register.line_ids],
                                 [[line[name] for name in columns] for line in by_hand.line_ids])

    def test_menu_action_refused_without_the_group(self):
        for model, (xmlid, _group, _menu) in REGISTERS.items():
            with self.subTest(model=model):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.clerk).action_open_last_period()
                with self.assertRaises(AccessError):
                    self.env.ref(xmlid).with_user(self.clerk).run()
        # The other register's reader is refused too: the WEEE register is the Returns Managers'.
        with self.assertRaises(AccessError):
            self.env["weee.register"].with_user(self.readers["packaging.reuse.register"]).action_open_last_period()

    def test_forged_context_opens_no_other_company(self):
        """A forged company in the context is Odoo's to refuse; a forged default period or company
        changes nothing: the period is the last month's, the company the user's."""
        other = self.env["res.company"].create({"name": "Register Other Co"})
        for model in REGISTERS:
            with self.subTest(model=model):
                user = self.readers[model]
                with self.assertRaises(AccessError):
                    self.env[model].with_user(user).with_context(
                        allowed_company_ids=[other.id]).action_open_last_period()
                action = self.env[model].with_user(user).with_context(
                    default_company_id=other.id, default_date_from="2000-01-01").action_open_last_period()
                register = self.env[model].with_user(user).browse(action["res_id"])
                self.assertEqual(register.company_id, self.company)
                self.assertNotEqual(register.date_from, date(2000, 1, 1))
