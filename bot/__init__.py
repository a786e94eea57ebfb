"""Bilingual (es/en) assistant for INM resident procedures: catalogue, matching, replies, channels."""
