{
    "name": "Reverse Logistics: Recalls",
    "summary": "Recall campaigns with lot traceability, quarantine, notification and retrieval",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "depends": ["reverse_logistics"],
    "data": [
        "security/reverse_logistics_recall_security.xml",
        "security/ir.model.access.csv",
        "views/reverse_logistics_recall_menus.xml",
    ],
    "installable": True,
}
