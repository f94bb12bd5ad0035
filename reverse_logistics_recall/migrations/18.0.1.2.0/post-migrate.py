"""The recall's return type is now read from its flags (see reverse_logistics 18.0.1.2.0): set on the existing
recall type what the code did (the data file is noupdate)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE return_type
           SET is_recall = TRUE, refund_allowed = TRUE, window_applies = FALSE, restocking_fee_applies = FALSE,
               auto_approvable = FALSE, customer_match_required = FALSE, policy_rules_apply = FALSE,
               active = TRUE
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'reverse_logistics_recall' AND name = 'return_type_recall')
    """)
