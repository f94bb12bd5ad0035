from odoo import SUPERUSER_ID
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo a newcomer opens: its returns are the demo returns team's, not OdooBot's who made them."""

    def test_demo_returns_are_the_demo_clerks(self):
        products = self.env["product.product"].browse([
            self.env.ref(f"reverse_logistics.product_demo_{name}").id for name in ("espresso", "grinder", "beans")])
        returns = self.env["return.order"].search([("line_ids.product_id", "in", products.ids)])
        self.assertGreaterEqual(len(returns), 10, "the demo's returns, in every state")
        clerk = self.env.ref("base.user_demo")
        self.assertEqual(returns.user_id, clerk)
        self.assertTrue(clerk.has_group("reverse_logistics.group_return_user"), "the responsible may handle them")
        self.assertNotIn(SUPERUSER_ID, returns.user_id.ids)
        # The responsible was the clerk's from the start: no change of responsible in the chatter.
        tracked = returns.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "user_id")
        self.assertFalse(tracked)
        self.assertEqual(self.env.ref("reverse_logistics.return_policy_default").user_id, clerk)
