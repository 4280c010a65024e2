"""Outgoing mail: SMTP through aiosmtplib when configured, otherwise RFC 5322 files in <data_dir>/outbox."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib

from config import Settings

log = logging.getLogger("syncode.mail")


class MailService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outbox = settings.data_dir / "outbox"

    @property
    def transport(self) -> str:
        return "smtp" if self.settings.smtp_host else "outbox"

    def compose(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain="syncode.local")
        message.set_content(body)
        return message

    async def send(self, to: str, subject: str, body: str) -> None:
        message = self.compose(to, subject, body)
        if self.transport == "smtp":
            s = self.settings
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                start_tls=s.smtp_starttls,
                timeout=15,
            )
            log.info("mail sent", extra={"to": to, "subject": subject, "transport": "smtp"})
            return
        path = await asyncio.to_thread(self._write_outbox, to, message)
        log.info("mail written to outbox", extra={"to": to, "subject": subject, "path": str(path)})

    def _write_outbox(self, to: str, message: EmailMessage) -> Path:
        self.outbox.mkdir(parents=True, exist_ok=True)
        safe_to = re.sub(r"[^A-Za-z0-9@._-]", "_", to)
        path = self.outbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{safe_to}.eml"
        path.write_bytes(bytes(message))
        return path

    async def health(self) -> dict:
        if self.transport == "outbox":
            return {"status": "ok", "detail": f"writing to {self.outbox}"}
        try:
            start = time.perf_counter()
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self.settings.smtp_host, self.settings.smtp_port), 2
            )
            writer.close()
            return {"status": "ok", "latencyMs": round((time.perf_counter() - start) * 1000, 2)}
        except (OSError, TimeoutError) as exc:
            return {"status": "degraded", "detail": f"SMTP unreachable: {exc}"}
