{
    "name": "Reverse Logistics: Third-Party Logistics",
    "summary": "Returns of client brands' goods: received, graded and dispositioned in the client's ownership",
    "version": "18.0.1.1.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "depends": ["reverse_logistics"],
    "data": [
        "security/ir.model.access.csv",
        "security/reverse_logistics_3pl_security.xml",
        "data/product_data.xml",
        "data/ir_cron_data.xml",
        "wizard/return_blind_parcel_views.xml",
        "views/return_order_views.xml",
        "views/return_client_fee_views.xml",
        "wizard/return_announcement_import_views.xml",
    ],
    "demo": [
        "demo/reverse_logistics_3pl_demo.xml",
    ],
}
