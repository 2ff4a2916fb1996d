"""Error analysis from QA audits: quality with Wilson intervals, confusion matrices, over/under-enforcement,
top error pairs, weekly trend, labelers at risk and the vendor error pairs that stand out."""
