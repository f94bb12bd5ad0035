{
    "name": "Reverse Logistics: Returnable Assets",
    "summary": "Pallets, crates, totes and kegs: who holds how many, deposits charged and refunded, "
    "rental, overdue follow-up, losses and the lifecycle of each asset",
    "version": "18.0.1.1.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "images": ["static/description/18_asset_balances.png", "static/description/21_asset_types.png"],
    "depends": ["reverse_logistics"],
    "data": [
        "security/reverse_logistics_assets_security.xml",
        "security/ir.model.access.csv",
        "data/returnable_asset_data.xml",
        "views/returnable_asset_views.xml",
        "report/returnable_asset_statement.xml",
        "report/packaging_reuse_register_views.xml",
        "report/returnable_asset_analysis_views.xml",
    ],
    "demo": [
        "demo/returnable_asset_demo.xml",
    ],
}
