{
    "name": "Reverse Logistics: Carrier Return Labels",
    "summary": "Return labels and return shipping rates from the policy's carrier (Odoo's delivery framework)",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "depends": ["reverse_logistics", "stock_delivery"],
    "data": [
        "views/return_policy_views.xml",
        "views/return_order_views.xml",
        "views/return_portal_templates.xml",
    ],
    "auto_install": True,
}
