FROM debian:12-slim
# Shell form is shell-form-cmd's to report, not this rule's.
CMD migrate && app
