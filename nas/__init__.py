"""Neural-architecture spaces as workload generators, with measured accuracy tables (docs/nas.md)."""
