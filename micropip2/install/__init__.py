"""Running a Plan: writing wheels in one all-or-nothing transaction (PEP 427/491), and removing
distributions."""
