{
    "name": "Reverse Logistics: Returnable Assets",
    "summary": "Pallets, crates, totes and kegs: balances per partner, deposits, follow-up and losses",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "depends": ["reverse_logistics"],
    "data": [
        "security/reverse_logistics_assets_security.xml",
        "security/ir.model.access.csv",
        "views/reverse_logistics_assets_menus.xml",
    ],
    "installable": True,
}
