"""Sending through the outside channels: webhook (WeCom/DingTalk group-robot
style JSON POST) and email over SMTP. Each raises DeliveryFailed with a short
reason; retrying is the caller's business (see workers/notices.py)."""
from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
from email.message import EmailMessage

import httpx

from server.settings import get_settings

WEBHOOK_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30


def backoff(attempts: int) -> dt.timedelta:
    """After a failed attempt: 30 s, 1 min, 2 min, 4 min … capped at 2 hours."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), 7200))


class DeliveryFailed(Exception):
    pass


def webhook_payload(title: str, text: str, link: str) -> dict:
    """The group-robot markdown message both WeCom and DingTalk accept."""
    content = f"### {title}\n{text}\n[{link}]({link})" if link else f"### {title}\n{text}"
    return {"msgtype": "markdown", "markdown": {"title": title, "content": content, "text": content}}


async def send_webhook(url: str, title: str, text: str, link: str) -> None:
    try:
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
            response = await client.post(url, json=webhook_payload(title, text, link))
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    # Both robots answer 200 with {"errcode": N} on a refused message.
    try:
        errcode = response.json().get("errcode", 0)
    except ValueError:
        errcode = 0
    if errcode:
        raise DeliveryFailed(f"errcode {errcode}: {response.text[:200]}")


def _send_email_blocking(to: str, subject: str, body: str) -> None:
    mail = get_settings().mail
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = mail.sender, to, subject
    message.set_content(body)
    with smtplib.SMTP(mail.host, mail.port, timeout=15) as smtp:
        if mail.starttls:
            smtp.starttls()
        if mail.user:
            smtp.login(mail.user, mail.password)
        smtp.send_message(message)


async def send_email(to: str, subject: str, body: str) -> None:
    if not get_settings().mail.host:
        raise DeliveryFailed("SMTP_HOST is not set")
    try:
        await asyncio.to_thread(_send_email_blocking, to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc


def email_enabled() -> bool:
    return bool(get_settings().mail.host)
