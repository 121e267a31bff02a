"""What pagetape knows of AWS: the catalogue of formats and public values, operation specs, sessions on the shared loader, parameters, isolation from real credentials."""
