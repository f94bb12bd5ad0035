{
    "name": "Reverse Logistics: WEEE Register",
    "summary": "WEEE take-back register (Directive 2012/19/EU): categories, sources and treatments of the "
    "equipment taken back, against the Annex V targets",
    "version": "18.0.1.1.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "depends": ["reverse_logistics"],
    "data": [
        "security/ir.model.access.csv",
        "data/return_type_data.xml",
        "views/weee_views.xml",
        "report/weee_register_views.xml",
    ],
    "demo": [
        "demo/weee_demo.xml",
    ],
}
