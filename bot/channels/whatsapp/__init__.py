"""WhatsApp Cloud API channel: pure pieces first (signature, webhook parsing, rendering); the client comes later."""
