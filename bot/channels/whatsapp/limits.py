"""WhatsApp Cloud API limits as one table, so the renderer (and its tests) decide from data, not scattered numbers.

Lengths are measured in UTF-16 code units (`measure`): Meta says "characters" without defining them, and UTF-16
units are never fewer than code points, so text that fits here fits either way (an emoji flag counts 4).
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
KB = 1024


def measure(text: str) -> int:
    """Length in UTF-16 code units (the conservative reading of Meta's "characters")."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class WhatsAppLimits:
    """Every limit the renderer and the sender must respect (sources: ../shared/reference notes, C9)."""

    text_body: int = 4096
    caption: int = 1024
    interactive_body: int = 1024
    header_text: int = 60
    footer_text: int = 60
    reply_buttons_min: int = 1
    reply_buttons_max: int = 3
    button_title: int = 20
    button_id: int = 256
    list_button: int = 20
    list_sections: int = 10
    list_rows: int = 10            # over all sections together
    row_title: int = 24
    row_description: int = 72
    row_id: int = 200
    section_title: int = 24        # Gupshup documents 20: our own section titles stay within 20
    template_body: int = 1024      # the body after its parameters are filled in
    image_bytes: int = 5 * MB
    audio_bytes: int = 16 * MB
    video_bytes: int = 16 * MB
    document_bytes: int = 100 * MB
    sticker_static_bytes: int = 100 * KB
    sticker_animated_bytes: int = 500 * KB
    image_types: tuple[str, ...] = ("image/jpeg", "image/png")
    audio_types: tuple[str, ...] = ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")
    video_types: tuple[str, ...] = ("video/mp4", "video/3gpp")
    sticker_types: tuple[str, ...] = ("image/webp",)
    document_types: tuple[str, ...] = (
        "text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )


WHATSAPP_LIMITS = WhatsAppLimits()
