"""Importers: a model from the infrastructure code that already exists.

Design (issue 14): the engine lives here, the mapping lives with the kinds. A kind declares
the CloudFormation types it reads as :class:`~archgen.model.kind.CfnImport` entries on its
``KindSpec`` (``imports=``, in ``model/kinds/<kind>.py``); the importer asks the registry
which kind claims each resource type, so a kind plug-in imports its own resources. The
package sits in the model layer (it produces a model and imports nothing above it); only the
CLI uses it (import-linter contract ``importers-on-top``).
"""
