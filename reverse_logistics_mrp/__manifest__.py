{
    "name": "Reverse Logistics: Kits",
    "summary": "Returns of kits (phantom BoMs): returned, received and credited as whole kits",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "depends": ["reverse_logistics", "sale_mrp"],
    "auto_install": True,
}
