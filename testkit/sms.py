"""App settings that point the SMS channels at the loopback fakes, for tests and benches."""

from __future__ import annotations

from typing import Any

from testkit.fakes import aliyun, tencent


def sms_config(aliyun_url: str | None, tencent_url: str | None, channels: str,
               **extra: Any) -> dict[str, Any]:
    """Return app settings that point the SMS channels at the fakes (and nowhere else)."""
    return {
        "NOTIFY_CHANNELS": channels, "NOTIFY_HTTP_TIMEOUT": 2.0,
        "NOTIFY_QUIET_HOURS": "",  # a bench or test may run at night
        "ALIYUN_SMS_ENDPOINT": aliyun_url, "ALIYUN_ACCESS_KEY_ID": aliyun.KEY_ID,
        "ALIYUN_ACCESS_KEY_SECRET": aliyun.KEY_SECRET, "ALIYUN_SMS_SIGN_NAME": aliyun.SIGN_NAME,
        "ALIYUN_SMS_TEMPLATE_CARD": "SMS_CARD_1", "ALIYUN_SMS_TEMPLATE_REMINDER": "SMS_REMIND_1",
        "TENCENT_SMS_ENDPOINT": tencent_url, "TENCENT_SECRET_ID": tencent.SECRET_ID,
        "TENCENT_SECRET_KEY": tencent.SECRET_KEY, "TENCENT_SMS_APP_ID": tencent.APP_ID,
        "TENCENT_SMS_SIGN_NAME": tencent.SIGN_NAME, "TENCENT_SMS_TEMPLATE_CARD": "1000001",
        "TENCENT_SMS_TEMPLATE_REMINDER": "1000002", **extra,
    }
