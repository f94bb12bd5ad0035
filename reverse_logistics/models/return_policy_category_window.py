from odoo import fields, models


class ReturnPolicyCategoryWindow(models.Model):
    _name = "return.policy.category.window"
    _description = "Return Window by Product Category"
    _order = "policy_id, id"

    policy_id = fields.Many2one("return.policy", required=True, ondelete="cascade", index=True)
    categ_id = fields.Many2one("product.category", string="Product Category", required=True, ondelete="cascade")
    window_days = fields.Integer(string="Window (days)", required=True)

    _sql_constraints = [
        ("policy_categ_uniq", "unique(policy_id, categ_id)", "A category has one window per policy."),
        ("window_positive", "CHECK(window_days >= 0)", "A return window cannot be negative."),
    ]
