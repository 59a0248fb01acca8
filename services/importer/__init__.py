"""The importer service: CSV and XLSX files turned into contacts, fields and memberships, row by row
reported."""
