"""The SMS door: Aliyun and Tencent push endpoints for delivery receipts and member replies.

endpoints (/sms/<provider>/receipt|reply) → push (body → items) → inbound.inbox (record once)
→ notify.receipts for a receipt, inbound.sms_replies for a reply.
"""
