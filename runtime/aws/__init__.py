"""Pure AWS rules: IAM policy evaluation, ARNs, operation read/write classes, the SQS
queue, the SNS filter policy and KMS envelope encryption.

They know the model and AWS's documented semantics, never the simulation engine, so the
lint and a run share one source of truth; an import-linter contract keeps it that way.
"""
