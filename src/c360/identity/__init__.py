"""Identity: records from source systems and how they map onto golden customers."""
