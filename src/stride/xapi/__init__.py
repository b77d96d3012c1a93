"""The xAPI Learning Record Store: statements validated, stored sealed, and mapped to events."""
