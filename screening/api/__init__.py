"""The read-only FHIR integration API (Django REST framework): token authentication, the
``application/fhir+json`` renderer, OperationOutcome errors, the views and their URLs."""
