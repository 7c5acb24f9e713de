"""The demo estate: a deterministic fictional company written in Azure's real file formats."""
