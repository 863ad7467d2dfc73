"""The words of remittance tables in six languages (EN, FR, DE, NL, ES, IT), folded.

Phrases are written folded (lower case, no accents, no punctuation: see
``amount_columns.fold``) and separated by ``|``.
"""

from __future__ import annotations


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in text.split("|") if p.strip())


COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "reference": _phrases(
        "invoice | invoice no | invoice number | invoice nr | invoice ref | inv no | inv | "
        "document | document no | document number | doc no | reference | ref | your ref | your "
        "reference | facture | no facture | numero facture | numero de facture | ref facture | "
        "piece | rechnung | rechnungsnummer | rechnungsnr | rechnung nr | re nr | rechnungs nr | "
        "beleg | belegnummer | belegnr | factura | numero factura | no factura | n factura | num "
        "factura | fattura | numero fattura | n fattura | nr fattura | rif fattura | factuur | "
        "factuurnummer | factuurnr | documentnummer | kenmerk"
    ),
    "gross": _phrases(
        "gross | gross amount | invoice amount | amount due | original amount | invoice total | "
        "montant facture | montant brut | montant ttc | montant du | brutto | bruttobetrag | "
        "rechnungsbetrag | importe factura | importe bruto | importe original | importo fattura | "
        "importo lordo | lordo | factuurbedrag | brutobedrag | bruto | bruto bedrag | "
        "oorspronkelijk bedrag"
    ),
    "discount": _phrases(
        "discount | cash discount | pronto pago | dto pronto pago | discount taken | "
        "early payment discount | escompte | remise | "
        "skonto | skontobetrag | rabatt | descuento | descuento pronto pago | dto | sconto | "
        "korting | betalingskorting"
    ),
    "deduction": _phrases(
        "deduction | deductions | adjustment | short paid | short payment | withheld | retenue | "
        "deduction montant | ajustement | abattement | abzug | kurzung | minderung | einbehalt | "
        "deduccion | ajuste | retencion | detrazione | trattenuta | rettifica | inhouding | "
        "aftrek | correctie"
    ),
    "reason": _phrases(
        "reason | comment | comments | remark | remarks | note | notes | description | memo | "
        "motif | raison | commentaire | observation | libelle | grund | begrundung | bemerkung | "
        "kommentar | motivo | concepto | observaciones | causale | nota | reden | opmerking | "
        "omschrijving | reason for deduction | motif de la deduction | grund des abzugs | motivo "
        "de la deduccion | motivo della detrazione | reden inhouding"
    ),
    "reason_code": _phrases(
        "reason code | code | code motif | grundcode | codigo motivo | codice causale | redencode "
        "| adjustment code"
    ),
    "paid": _phrases(
        "paid | amount paid | paid amount | payment | payment amount | net paid | net amount | "
        "net | amount remitted | remitted | paye | montant paye | montant regle | regle | "
        "reglement | net a payer | bezahlt | zahlbetrag | gezahlt | zahlung | betrag bezahlt | "
        "pagado | importe pagado | pago | importe neto | neto | pagato | importo pagato | "
        "pagamento | netto | importo netto | betaald | betaald bedrag | betaling | netto bedrag"
    ),
    "amount": _phrases("amount | montant | betrag | importe | importo | bedrag"),
    "currency": _phrases(
        "currency | ccy | cur | devise | monnaie | wahrung | moneda | divisa | valuta"
    ),
    "date": _phrases(
        "date | invoice date | datum | fecha | data | rechnungsdatum | date facture | fecha "
        "factura | data fattura | factuurdatum | due date"
    ),
}

LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "payer": _phrases(
        "payer | paid by | customer | client | remitter | company | debtor | payeur | donneur d "
        "ordre | debiteur | zahler | kunde | auftraggeber | schuldner | pagador | cliente | "
        "ordenante | deudor | ordinante | pagatore | debitore | betaler | klant | opdrachtgever"
    ),
    "payment_id": _phrases(
        "payment reference | payment ref | payment id | payment number | payment no | transaction "
        "reference | trace number | end to end id | endtoendid | check number | cheque number | "
        "reference du paiement | ref paiement | reference paiement | numero de paiement | "
        "reference virement | reference du virement | zahlungsreferenz | zahlungsnummer | "
        "referencia de pago | referencia pago | numero de pago | ref pago | riferimento pagamento "
        "| rif pagamento | numero pagamento | betalingskenmerk | betalingsreferentie | "
        "betalingsnummer"
    ),
    "date": _phrases(
        "payment date | date | value date | date de paiement | date du paiement | date de valeur "
        "| date du virement | zahlungsdatum | datum | valutadatum | fecha de pago | fecha pago | "
        "fecha | data pagamento | data valuta | data | betaaldatum | datum betaling | "
        "betalingsdatum"
    ),
    "total": _phrases(
        "total | total paid | total amount | amount paid | payment amount | total payment | "
        "montant total | total paye | total regle | montant du virement | montant | gesamt | "
        "gesamtbetrag | summe | zahlbetrag | betrag | total pagado | importe total | importe | "
        "totale | importo totale | totale pagato | importo | totaal | totaal betaald | bedrag | "
        "totaalbedrag"
    ),
    "currency": COLUMN_WORDS["currency"],
    "account": _phrases(
        "iban | account | account number | bank account | compte | rib | konto | kontonummer | "
        "cuenta | conto | rekening | rekeningnummer"
    ),
}

TOTAL_ROW_WORDS = _phrases(
    "total | totals | grand total | sum | total paid | montant total | total paye | gesamt | "
    "summe | gesamtbetrag | total pagado | totale | totaal"
)
