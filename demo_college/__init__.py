"""demo_college."""
