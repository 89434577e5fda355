from django.shortcuts import render

from campaign.decorators import staff_view


@staff_view("merchants.view")
def merchant_list(request):
    return render(request, "settlement/staff/merchant_list.html", {})
