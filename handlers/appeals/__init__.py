"""Appeals: a labeler disputes an audited verdict; someone other than the auditor decides; quality follows."""
