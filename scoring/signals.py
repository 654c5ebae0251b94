"""The domain's own signals: how it tells other rooms what happened without importing them."""
from django.dispatch import Signal

# Sent by the scoring task when an application is finished (scored, or failed for good), with
# application_id and application (as the scoring left it, or None). The API's webhooks listen.
scoring_finished = Signal()
