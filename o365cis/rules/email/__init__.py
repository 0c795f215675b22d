"""Section 4 (Email Security / Exchange Online), one module per kind of setting."""
