"""The domain's records, one module per concern; every model keeps the app label "scoring"
(and its table), whichever module defines it."""
from scoring.models.applications import (ERASE_CLIENT, Application, BankScore, Client, Dispatch, Outcome,
                                         ScoringBatch, ScoringBatchItem)
from scoring.models.audit import AuditEntry
from scoring.models.catalogue import Bank, ConfigDocument, Feature
from scoring.models.integration import (ApiClient, ApiToken, IdempotencyKey, WebhookDelivery, new_token_key,
                                        new_webhook_secret, token_digest)
from scoring.models.modelops import HistoricalApplication, ImportBatch, ModelVersion, TrainingRun

__all__ = ["ERASE_CLIENT", "ApiClient", "ApiToken", "Application", "AuditEntry", "Bank", "BankScore", "Client",
           "ConfigDocument", "Dispatch", "Feature", "HistoricalApplication", "IdempotencyKey", "ImportBatch", "ModelVersion",
           "Outcome", "ScoringBatch", "ScoringBatchItem", "TrainingRun", "WebhookDelivery", "new_token_key", "new_webhook_secret",
           "token_digest"]
