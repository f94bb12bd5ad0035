"""The return types' flags are new columns, filled by the ORM with the fields' defaults; the data file is
noupdate (a manager may change the flags), so it does not set them on existing types: set here what each core
type did when its behaviour was code."""

FLAGS = {
    # code: (refund_allowed, window_applies, restocking_fee_applies, auto_approvable, customer_match_required,
    #        policy_rules_apply, weee_takeback)
    "customer": (True, True, True, True, True, True, False),
    "distributor": (True, False, True, False, True, True, False),
    "warranty": (True, False, False, False, True, True, False),
    "takeback": (False, False, False, True, True, False, True),
}


def migrate(cr, version):
    if not version:
        return
    for code, flags in FLAGS.items():
        cr.execute("""
            UPDATE return_type
               SET refund_allowed = %s, window_applies = %s, restocking_fee_applies = %s, auto_approvable = %s,
                   customer_match_required = %s, policy_rules_apply = %s, weee_takeback = %s, active = TRUE
             WHERE code = %s
        """, (*flags, code))
