"""Built-in service plugins, registered through the same `pagetape.plugins` entry points a
third party uses. Page-size ranges and defaults come from the AWS API reference pages."""
