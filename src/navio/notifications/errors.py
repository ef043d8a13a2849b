from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class NoticeNotFound(NotFound):
    code = "notification_not_found"
    title = "Notification not found"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    title = "Webhook not found"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    title = "Webhook delivery not found"


class InvalidWebhookUrl(InvalidInput):
    code = "invalid_webhook_url"
    title = "Navio cannot send to this URL"


class UnknownWebhookEvent(InvalidInput):
    code = "unknown_webhook_event"
    title = "No such event can be sent to a webhook"


class WebhookLimitReached(Conflict):
    code = "webhook_limit_reached"
    title = "You have as many webhooks as allowed"


class DeliveryPending(Conflict):
    code = "webhook_delivery_pending"
    title = "The delivery is waiting to be sent already"


class InvalidPushSubscription(InvalidInput):
    code = "invalid_push_subscription"
    title = "The push subscription cannot be kept as sent"


class PushSubscriptionNotFound(NotFound):
    code = "push_subscription_not_found"
    title = "Push subscription not found"


class PushSubscriptionLimitReached(Conflict):
    code = "push_subscription_limit_reached"
    title = "You have as many push subscriptions as one may"
