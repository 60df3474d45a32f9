"""`cxpulse notify-bridge`: Alertmanager webhooks to DingTalk and Feishu robot messages."""
