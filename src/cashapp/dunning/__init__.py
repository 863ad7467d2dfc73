"""Reminder scenarios (relances) that know about disputes and unapplied cash."""
